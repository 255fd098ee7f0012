/// What can go wrong talking to a primesum server.
public enum PrimeSumClientError: Error, Sendable, CustomStringConvertible {
    /// The server answered with an error status and its `{"error": …}` body.
    case server(status: Int, code: String, message: String, retryAfter: Int?)
    /// No answer: connection refused, reset or timed out.
    case transport(String)
    /// The answer was not what the API promises.
    case unexpectedResponse(String)

    public var description: String {
        switch self {
        case .server(let status, let code, let message, _):
            "the server answered \(status) \(code): \(message)"
        case .transport(let reason): "cannot reach the server: \(reason)"
        case .unexpectedResponse(let reason): "unexpected response: \(reason)"
        }
    }
}
