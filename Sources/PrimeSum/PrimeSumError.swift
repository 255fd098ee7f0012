/// Everything the engine can refuse or give up on.
public enum PrimeSumError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An input is not a valid bound; `field` names it (`a` or `b`) and `reason` follows the
    /// name in a sentence ("b must be greater than a").
    case invalidInput(field: String, reason: String)
    /// The computation was cancelled before it finished.
    case cancelled
    /// primesieve reported an error it could not recover from.
    case sieveFailure(String)

    public var description: String {
        switch self {
        case .invalidInput(let field, let reason): "\(field) \(reason)"
        case .cancelled: "the computation was cancelled"
        case .sieveFailure(let message): "primesieve failed: \(message)"
        }
    }
}
