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
    /// The store's TLS connection failed for a reason that retrying does not fix: its
    /// certificate is not trusted or names another host, or the server does not speak TLS.
    /// At start-up it stops the replica (a configuration error); later the API answers 503
    /// with the reason.
    case tlsFailed(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "the job store is unavailable: \(reason)"
        case .starting(let reason): "the job store is starting: \(reason)"
        case .invalidConfiguration(let reason): "invalid store configuration: \(reason)"
        case .corrupt(let reason): "a stored job is unreadable: \(reason)"
        case .tlsFailed(let reason): "cannot connect securely to the job store: \(reason)"
        }
    }

    /// Whether the error is the configuration's, which no retry fixes.
    public var isConfigurationError: Bool {
        switch self {
        case .invalidConfiguration, .tlsFailed: true
        case .unavailable, .starting, .corrupt: false
        }
    }

    /// How loudly a background task (worker, cleaner, heartbeat) logs a failed store call: a
    /// store that is starting is expected, not a warning.
    public static func logLevel(of error: any Error) -> Logger.Level {
        if case .starting = error as? JobStoreError { return .debug }
        return .warning
    }
}
