/// The errors of the jobs layer and of every store backend.
public enum JobStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The backing store cannot be reached or failed; the request may be retried later.
    case unavailable(String)
    /// The `store.url` cannot be used.
    case invalidConfiguration(String)
    /// A stored document could not be read back.
    case corrupt(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "the job store is unavailable: \(reason)"
        case .invalidConfiguration(let reason): "invalid store configuration: \(reason)"
        case .corrupt(let reason): "a stored job is unreadable: \(reason)"
        }
    }
}
