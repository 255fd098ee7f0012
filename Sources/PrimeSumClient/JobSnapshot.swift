/// A job document as the API returns it (numbers that can pass 2^53 stay decimal strings).
public struct JobSnapshot: Codable, Sendable, Equatable {
    public let id: String
    public let status: String
    public let a: String
    public let b: String
    public let sum: String?
    public let progress: Double?
    public let queuedTimeMs: Int64?
    public let processingTimeMs: Int64?
    public let attempts: Int?
    public let error: Failure?
    /// For a job split into parts: where they stand.
    public let parts: Parts?

    /// The parts of a split job: how many, how many finished and running, and how many
    /// computations of them started (more than `total` when a part was started again).
    public struct Parts: Codable, Sendable, Equatable {
        public let total: Int
        public let finished: Int
        public let running: Int
        public let attempts: Int
    }

    /// Why the job failed.
    public struct Failure: Codable, Sendable, Equatable {
        public let code: String
        public let message: String
    }

    /// Whether the job will not change any more.
    public var isTerminal: Bool { ["FINISHED", "FAILED", "CANCELLED"].contains(status) }

    private enum CodingKeys: String, CodingKey {
        case id = "_id"
        case status, a, b, sum, progress, queuedTimeMs, processingTimeMs, attempts, error, parts
    }
}
