import Foundation
import PrimeSumJobs

/// A job as one CouchDB document, `_id` the job id: the fields of its `JobRecord` (numbers
/// beyond 2^53 as strings, instants as Unix milliseconds that Mango selectors compare), plus a
/// `type`.
struct CouchDBJobDocument: Codable, Sendable, Equatable {
    /// Every document this store writes has a `type`, so the `_changes` filter and the view
    /// see jobs only (leases and idempotency guards share the database).
    static let type = "job"

    var _id: String
    var _rev: String?
    var type: String
    var status: String
    var a: String
    var b: String
    var sum: String?
    var progress: Double
    var createdAt: Int64
    var startedAt: Int64?
    var finishedAt: Int64?
    var expiresAt: Int64
    var attempts: Int
    var errorCode: String?
    var errorMessage: String?
    var version: Int
    var leaseOwner: String?
    var leaseExpiresAt: Int64?
    var idempotencyKey: String?
    var owner: String?
    var parentId: String?
    /// Absent in documents written before jobs could be split.
    var partCount: Int?
    var worker: String?
    var traceContext: String?
    var piece: String?
    /// A finished piece's result, base64: about 2 MB at the top of the domain, within
    /// CouchDB's 8 MB documents.
    var pieceResult: String?

    /// Every field, for a Mango query that names the ones it returns.
    enum CodingKeys: String, CodingKey, CaseIterable {
        case _id, _rev, type, status, a, b, sum, progress, createdAt, startedAt, finishedAt, expiresAt
        case attempts, errorCode, errorMessage, version, leaseOwner, leaseExpiresAt, idempotencyKey
        case owner, parentId, partCount, worker, traceContext, piece, pieceResult
    }

    /// The fields a query returns to leave the pieces' results out (`JobPartState`).
    static let fieldsWithoutPieceResult = CodingKeys.allCases.filter { $0 != .pieceResult }.map(\.rawValue)

    init(_ job: Job, revision: String?) {
        let record = JobRecord(job)
        _id = record.id.uuidString
        _rev = revision
        type = Self.type
        status = record.status
        a = record.a
        b = record.b
        sum = record.sum
        progress = record.progress
        createdAt = record.createdAt
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        expiresAt = record.expiresAt
        attempts = record.attempts
        errorCode = record.errorCode
        errorMessage = record.errorMessage
        version = record.version
        leaseOwner = record.leaseOwner
        leaseExpiresAt = record.leaseExpiresAt
        idempotencyKey = record.idempotencyKey
        owner = record.owner
        parentId = record.parentID?.uuidString
        partCount = record.partCount
        worker = record.worker
        traceContext = record.traceContext
        piece = record.piece
        pieceResult = record.pieceResult
    }

    /// The job this document holds; throws `JobStoreError.corrupt` for a document no version
    /// of primesum wrote.
    func job() throws -> Job {
        guard type == Self.type, let id = UUID(uuidString: _id) else {
            throw JobStoreError.corrupt("CouchDB document \(_id) is not a primesum job")
        }
        return try JobRecord(
            id: id, status: status, a: a, b: b, sum: sum, progress: progress, createdAt: createdAt,
            startedAt: startedAt, finishedAt: finishedAt, expiresAt: expiresAt, attempts: attempts,
            errorCode: errorCode, errorMessage: errorMessage, version: version, leaseOwner: leaseOwner,
            leaseExpiresAt: leaseExpiresAt, idempotencyKey: idempotencyKey, owner: owner,
            parentID: parentId.flatMap(UUID.init(uuidString:)), partCount: partCount ?? 0,
            worker: worker, traceContext: traceContext, piece: piece, pieceResult: pieceResult
        ).job()
    }
}
