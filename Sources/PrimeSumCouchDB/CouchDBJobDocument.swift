import Foundation
import PrimeSumJobs

/// A job as one CouchDB document, `_id` the job id. Numbers beyond 2^53 (the range ends, the
/// sum) are strings: JSON readers in CouchDB's own tools would round them as doubles. Instants
/// are Unix milliseconds, so Mango selectors compare them as numbers.
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

    init(_ job: Job, revision: String?) {
        _id = job.id.uuidString
        _rev = revision
        type = Self.type
        status = job.status.rawValue
        a = String(job.a)
        b = String(job.b)
        sum = job.sum.map { String($0) }
        progress = job.progress
        createdAt = job.createdAt.epochMilliseconds
        startedAt = job.startedAt?.epochMilliseconds
        finishedAt = job.finishedAt?.epochMilliseconds
        expiresAt = job.expiresAt.epochMilliseconds
        attempts = job.attempts
        errorCode = job.failure?.code
        errorMessage = job.failure?.message
        version = job.version
        leaseOwner = job.leaseOwner
        leaseExpiresAt = job.leaseExpiresAt?.epochMilliseconds
        idempotencyKey = job.idempotencyKey
        owner = job.owner
    }

    /// The job this document holds; throws `JobStoreError.corrupt` for a document no version
    /// of primesum wrote.
    func job() throws -> Job {
        guard type == Self.type, let id = UUID(uuidString: _id), let status = JobStatus(rawValue: status),
            let a = UInt64(a), let b = UInt64(b)
        else { throw JobStoreError.corrupt("CouchDB document \(_id) is not a primesum job") }
        var job = Job(
            id: id, a: a, b: b, createdAt: Date(epochMilliseconds: createdAt),
            expiresAt: Date(epochMilliseconds: expiresAt), idempotencyKey: idempotencyKey, owner: owner)
        job.status = status
        if let sum {
            guard let value = UInt128(sum) else {
                throw JobStoreError.corrupt("CouchDB document \(_id) has sum '\(sum.prefix(50))'")
            }
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
        return job
    }
}
