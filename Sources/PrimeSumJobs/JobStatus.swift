/// Where a job is in its life: QUEUED → IN_PROGRESS → FINISHED | FAILED | CANCELLED, QUEUED →
/// CANCELLED, and IN_PROGRESS → QUEUED when a worker's lease lapses.
public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued = "QUEUED"
    case inProgress = "IN_PROGRESS"
    case finished = "FINISHED"
    case failed = "FAILED"
    case cancelled = "CANCELLED"

    /// Whether the job will never change again.
    public var isTerminal: Bool {
        switch self {
        case .queued, .inProgress: false
        case .finished, .failed, .cancelled: true
        }
    }
}
