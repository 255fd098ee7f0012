import Foundation

/// One request for the sum of the primes in [a, b), as the store keeps it.
///
/// `version` rises by one with every write; stores update a job only when the caller's copy
/// has the stored version (compare-and-swap), so concurrent writers never overwrite each other.
public struct Job: Sendable, Equatable {
    public var id: UUID
    public var status: JobStatus
    public var a: UInt64
    public var b: UInt64
    /// The result, once FINISHED.
    public var sum: UInt128?
    /// 0...1 while IN_PROGRESS.
    public var progress: Double
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// After this instant a terminal job is gone (the seed's `ttl`).
    public var expiresAt: Date
    /// How many times a worker has started the job.
    public var attempts: Int
    public var failure: JobFailure?
    public var version: Int
    /// The worker holding the job while IN_PROGRESS, and until when.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// The client's `Idempotency-Key`, unique per owner.
    public var idempotencyKey: String?
    /// Who submitted the job when authentication is on (a key's fingerprint); for a part,
    /// `Job.partOwner(of:)` of its parent.
    public var owner: String?
    /// For a part: the job it is a part of (parts are not jobs of the API).
    public var parent: UUID?
    /// For a job split into parts: how many (0 while it runs whole).
    public var partCount: Int
    /// The worker (`REPLICA-N`) that last claimed the job; unlike `leaseOwner` it stays once
    /// the job ends, to say which replica computed it.
    public var worker: String?
    /// For a part that computes a piece of a prefix sum rather than a range's sum.
    public var piece: JobPiece?
    /// A FINISHED piece's result (`PrefixSumPartResult.bytes`): what its parent's settlement
    /// joins with the other pieces' results. A piece has no `sum` of its own.
    public var pieceResult: [UInt8]?
    /// The trace the job belongs to: the propagation fields of the span that submitted it
    /// (`TraceCarrier`), so that the worker that claims it, on any replica, continues that
    /// trace; nil when tracing was off.
    public var traceContext: String?

    /// A new QUEUED job; its id, unless given, is time-ordered (`UUID.timeOrdered`).
    public init(
        id: UUID? = nil, a: UInt64, b: UInt64, createdAt: Date, expiresAt: Date,
        idempotencyKey: String? = nil, owner: String? = nil, parent: UUID? = nil, piece: JobPiece? = nil,
        traceContext: String? = nil
    ) {
        self.id = id ?? .timeOrdered(at: createdAt)
        self.status = .queued
        self.a = a
        self.b = b
        self.sum = nil
        self.progress = 0
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.attempts = 0
        self.failure = nil
        self.version = 1
        self.idempotencyKey = idempotencyKey
        self.owner = owner
        self.parent = parent
        self.partCount = 0
        self.worker = nil
        self.piece = piece
        self.pieceResult = nil
        self.traceContext = traceContext
    }
}

/// Why a job FAILED.
public struct JobFailure: Sendable, Equatable, Codable {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}
