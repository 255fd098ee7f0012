import Foundation
import PrimeSumJobs

/// A job row as the trigger's `row_to_json` writes it into the notification of a job's end,
/// so a replica waiting on the job gets it without reading it (`JobChangeFeed`'s carried job).
struct NotifiedJobRow: Decodable {
    let id: UUID
    let status: String
    let a: String
    let b: String
    let sum: String?
    let progress: Double
    let created_at: Int64
    let started_at: Int64?
    let finished_at: Int64?
    let expires_at: Int64
    let attempts: Int
    let error_code: String?
    let error_message: String?
    let version: Int
    let lease_owner: String?
    let lease_expires_at: Int64?
    let idempotency_key: String?
    let owner: String?
    let parent_id: String?
    let part_count: Int

    /// The job in `json`, or nil when it is not a job row.
    static func job(in json: Substring) -> Job? {
        guard let row = try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) else { return nil }
        return try? JobRecord(
            id: row.id, status: row.status, a: row.a, b: row.b, sum: row.sum, progress: row.progress,
            createdAt: row.created_at, startedAt: row.started_at, finishedAt: row.finished_at,
            expiresAt: row.expires_at, attempts: row.attempts, errorCode: row.error_code,
            errorMessage: row.error_message, version: row.version, leaseOwner: row.lease_owner,
            leaseExpiresAt: row.lease_expires_at, idempotencyKey: row.idempotency_key, owner: row.owner,
            parentID: row.parent_id.flatMap(UUID.init(uuidString:)), partCount: row.part_count
        ).job()
    }
}
