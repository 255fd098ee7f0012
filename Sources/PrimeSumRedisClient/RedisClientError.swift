/// The errors of the Redis client.
public enum RedisClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server could not be reached, or the connection was lost with the command in flight
    /// (it may or may not have run).
    case connectionFailed(String)
    /// No reply within the command's time limit; the connection was closed, since a late reply
    /// would be taken for the next command's.
    case timedOut(String)
    /// The server answered with an error reply (`-ERR …`, `-NOSCRIPT …`).
    case server(String)
    /// The server sent something that is not RESP2.
    case protocolViolation(String)
    /// The `redis://` URL cannot be used.
    case invalidURL(String)
    /// The TLS connection (`rediss://`) failed for a reason retrying does not fix: the
    /// server's certificate is not trusted or names another host, or it does not speak TLS.
    case tlsFailed(String)

    public var description: String {
        switch self {
        case .connectionFailed(let reason): "cannot reach Redis: \(reason)"
        case .timedOut(let reason): "Redis did not answer: \(reason)"
        case .server(let message): "Redis refused the command: \(message)"
        case .protocolViolation(let reason): "Redis sent an unreadable reply: \(reason)"
        case .invalidURL(let reason): "invalid Redis URL: \(reason)"
        case .tlsFailed(let reason): "no secure connection to Redis: \(reason)"
        }
    }
}
