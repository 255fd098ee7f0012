import Logging

/// The errors of the jobs layer and of every store backend.
public enum JobStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The backing store cannot be reached or failed; the request may be retried later.
    case unavailable(String)
    /// The store is still connecting or setting up its schema: unavailable for a moment, as
    /// every replica's store is when it starts.
    case starting(String)
    /// The `store.url` cannot be used.
    case invalidConfiguration(String)
    /// A stored document could not be read back.
    case corrupt(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "the job store is unavailable: \(reason)"
        case .starting(let reason): "the job store is starting: \(reason)"
        case .invalidConfiguration(let reason): "invalid store configuration: \(reason)"
        case .corrupt(let reason): "a stored job is unreadable: \(reason)"
        }
    }

    /// How loudly a background task (worker, cleaner, heartbeat) logs a failed store call: a
    /// store that is starting is expected, not a warning.
    public static func logLevel(of error: any Error) -> Logger.Level {
        if case .starting = error as? JobStoreError { return .debug }
        return .warning
    }
}
