/// The job document of the API (DESIGN.md "The job document"; `openapi.yaml`'s `Job`): the
/// server writes it, the client and the command line read it. Numbers that can pass 2^53 are
/// decimal strings; instants are ISO 8601 in UTC with milliseconds.
public struct JobDocument: Codable, Sendable, Equatable {
    public let id: String
    public let status: String
    public let a: String
    public let b: String
    /// Once FINISHED.
    public let sum: String?
    /// 0...1, while IN_PROGRESS and once FINISHED.
    public let progress: Double?
    public let queuedTimeMs: Int64
    public let processingTimeMs: Int64
    public let createdAt: String
    public let startedAt: String?
    public let finishedAt: String?
    /// When a terminal job expires, in Unix milliseconds (the seed's `ttl`).
    public let ttl: Int64
    public let attempts: Int
    /// Why a FAILED job failed.
    public let error: Failure?
    /// For a job split into parts: where they stand.
    public let parts: Parts?
    /// The worker (`REPLICA-N`) that last ran the job; for a split job, the one that split it.
    public let worker: String?
    /// The OpenTelemetry trace the job was submitted in, when tracing was on.
    public let traceId: String?

    public init(
        id: String, status: String, a: String, b: String, sum: String?, progress: Double?,
        queuedTimeMs: Int64,
        processingTimeMs: Int64, createdAt: String, startedAt: String?, finishedAt: String?, ttl: Int64,
        attempts: Int, error: Failure?, parts: Parts?, worker: String? = nil, traceId: String? = nil
    ) {
        self.id = id
        self.status = status
        self.a = a
        self.b = b
        self.sum = sum
        self.progress = progress
        self.queuedTimeMs = queuedTimeMs
        self.processingTimeMs = processingTimeMs
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.ttl = ttl
        self.attempts = attempts
        self.error = error
        self.parts = parts
        self.worker = worker
        self.traceId = traceId
    }

    /// The parts of a split job: how many, how many finished and running, and how many
    /// computations of them started (more than `total` when a part was started again).
    public struct Parts: Codable, Sendable, Equatable {
        public let total: Int
        public let finished: Int
        public let running: Int
        public let attempts: Int

        public init(total: Int, finished: Int, running: Int, attempts: Int) {
            self.total = total
            self.finished = finished
            self.running = running
            self.attempts = attempts
        }
    }

    /// Why a job failed, or why a request was refused (the error envelope's `error`).
    public struct Failure: Codable, Sendable, Equatable {
        public let code: String
        public let message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// Whether the job will not change any more.
    public var isTerminal: Bool { ["FINISHED", "FAILED", "CANCELLED"].contains(status) }

    /// The document's field names.
    public enum CodingKeys: String, CodingKey {
        case id = "_id"
        case status, a, b, sum, progress, queuedTimeMs, processingTimeMs, createdAt, startedAt, finishedAt,
            ttl
        case attempts, error, parts, worker, traceId
    }
}
