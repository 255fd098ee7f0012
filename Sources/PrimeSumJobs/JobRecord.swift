import Foundation

/// A job flattened to what every database stores natively, the one mapping the stores share:
/// the range ends and the sum as decimal text (they pass 2^63, and JSON readers round numbers
/// beyond 2^53), instants as Unix milliseconds (so queries compare them as numbers), the
/// failure as two fields, a piece as `INDEX/COUNT` and its result as base64 (a text every store
/// and JSON keep as it is). SQLite and PostgreSQL bind `values` to `columns`; CouchDB encodes the
/// same fields in a document.
public struct JobRecord: Sendable, Equatable {
    public var id: UUID
    public var status: String
    public var a: String
    public var b: String
    public var sum: String?
    public var progress: Double
    public var createdAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
    public var expiresAt: Int64
    public var attempts: Int
    public var errorCode: String?
    public var errorMessage: String?
    public var version: Int
    public var leaseOwner: String?
    public var leaseExpiresAt: Int64?
    public var idempotencyKey: String?
    public var owner: String?
    public var parentID: UUID?
    public var partCount: Int
    public var worker: String?
    public var traceContext: String?
    public var piece: String?
    public var pieceResult: String?

    /// The columns of a job table, in the order of the fields above.
    public static let columns = [
        "id", "status", "a", "b", "sum", "progress", "created_at", "started_at", "finished_at", "expires_at",
        "attempts", "error_code", "error_message", "version", "lease_owner", "lease_expires_at",
        "idempotency_key", "owner", "parent_id", "part_count", "worker", "trace_context", "piece",
        "piece_result",
    ]

    /// `columns` as a select list with NULL for `piece_result`: a job's parts as its document
    /// counts them (`JobPartState`), without the pieces' results.
    public static let selectListWithoutPieceResult = columns.map {
        $0 == "piece_result" ? "NULL AS \($0)" : $0
    }
    .joined(separator: ", ")

    /// A field as a database binds it.
    public enum Value: Sendable, Equatable {
        case uuid(UUID)
        case text(String?)
        case integer(Int64?)
        case real(Double)
    }

    /// The fields, in `columns` order: what SQLite and PostgreSQL bind.
    public var values: [Value] {
        [
            .uuid(id), .text(status), .text(a), .text(b), .text(sum), .real(progress), .integer(createdAt),
            .integer(startedAt), .integer(finishedAt), .integer(expiresAt), .integer(Int64(attempts)),
            .text(errorCode), .text(errorMessage), .integer(Int64(version)), .text(leaseOwner),
            .integer(leaseExpiresAt), .text(idempotencyKey), .text(owner), .text(parentID?.uuidString),
            .integer(Int64(partCount)), .text(worker), .text(traceContext), .text(piece), .text(pieceResult),
        ]
    }

    public init(
        id: UUID, status: String, a: String, b: String, sum: String?, progress: Double, createdAt: Int64,
        startedAt: Int64?, finishedAt: Int64?, expiresAt: Int64, attempts: Int, errorCode: String?,
        errorMessage: String?, version: Int, leaseOwner: String?, leaseExpiresAt: Int64?,
        idempotencyKey: String?, owner: String?, parentID: UUID?, partCount: Int, worker: String?,
        traceContext: String?, piece: String?, pieceResult: String?
    ) {
        self.id = id
        self.status = status
        self.a = a
        self.b = b
        self.sum = sum
        self.progress = progress
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.version = version
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.idempotencyKey = idempotencyKey
        self.owner = owner
        self.parentID = parentID
        self.partCount = partCount
        self.worker = worker
        self.traceContext = traceContext
        self.piece = piece
        self.pieceResult = pieceResult
    }

    public init(_ job: Job) {
        self.init(
            id: job.id, status: job.status.rawValue, a: String(job.a), b: String(job.b),
            sum: job.sum.map { String($0) }, progress: job.progress,
            createdAt: job.createdAt.epochMilliseconds,
            startedAt: job.startedAt?.epochMilliseconds, finishedAt: job.finishedAt?.epochMilliseconds,
            expiresAt: job.expiresAt.epochMilliseconds, attempts: job.attempts, errorCode: job.failure?.code,
            errorMessage: job.failure?.message, version: job.version, leaseOwner: job.leaseOwner,
            leaseExpiresAt: job.leaseExpiresAt?.epochMilliseconds, idempotencyKey: job.idempotencyKey,
            owner: job.owner, parentID: job.parent, partCount: job.partCount, worker: job.worker,
            traceContext: job.traceContext, piece: job.piece?.description,
            pieceResult: job.pieceResult.map { Data($0).base64EncodedString() })
    }

    /// `job` as a store that keeps instants in milliseconds reads it back: what a store returns
    /// for a job it wrote equals what it returns when the job is read.
    public static func stored(_ job: Job) -> Job {
        (try? JobRecord(job).job()) ?? job
    }

    /// The job; throws `JobStoreError.corrupt` for a record no version of primesum wrote.
    public func job() throws(JobStoreError) -> Job {
        guard let status = JobStatus(rawValue: status), let a = UInt64(a), let b = UInt64(b) else {
            throw .corrupt(
                "job \(id) has status '\(status.prefix(20))', a '\(a.prefix(30))', b '\(b.prefix(30))'")
        }
        var job = Job(
            id: id, a: a, b: b, createdAt: Date(epochMilliseconds: createdAt),
            expiresAt: Date(epochMilliseconds: expiresAt), idempotencyKey: idempotencyKey, owner: owner,
            parent: parentID, traceContext: traceContext)
        if let piece {
            guard let value = JobPiece(piece) else {
                throw .corrupt("job \(id) has piece '\(piece.prefix(30))'")
            }
            job.piece = value
        }
        if let pieceResult {
            guard let bytes = Data(base64Encoded: pieceResult) else {
                throw .corrupt("job \(id) has a piece result that is not base64")
            }
            job.pieceResult = [UInt8](bytes)
        }
        job.status = status
        if let sum {
            guard let value = UInt128(sum) else { throw .corrupt("job \(id) has sum '\(sum.prefix(50))'") }
            job.sum = value
        }
        job.progress = progress
        job.startedAt = startedAt.map(Date.init(epochMilliseconds:))
        job.finishedAt = finishedAt.map(Date.init(epochMilliseconds:))
        job.attempts = attempts
        job.failure = errorCode.map { JobFailure(code: $0, message: errorMessage ?? "") }
        job.version = version
        job.leaseOwner = leaseOwner
        job.leaseExpiresAt = leaseExpiresAt.map(Date.init(epochMilliseconds:))
        job.partCount = partCount
        job.worker = worker
        return job
    }
}

/// A row as JSON keyed by its column names (`columns`), as PostgreSQL's `row_to_json` writes it
/// into the notification of a job's end.
extension JobRecord: Decodable {
    private enum CodingKeys: String, CodingKey {
        case id, status, a, b, sum, progress, attempts, version, owner
        case createdAt = "created_at", startedAt = "started_at", finishedAt = "finished_at"
        case expiresAt = "expires_at", errorCode = "error_code", errorMessage = "error_message"
        case leaseOwner = "lease_owner", leaseExpiresAt = "lease_expires_at"
        case idempotencyKey = "idempotency_key", parentID = "parent_id", partCount = "part_count", worker
        case traceContext = "trace_context", piece, pieceResult = "piece_result"
    }
}
