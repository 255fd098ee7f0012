import Foundation
import PrimeSum
import PrimeSumJobs

/// A submit whose range already has an unexpired FINISHED result is answered from it at once
/// (200) instead of being computed again.
struct ResultReuse: Sendable {
    let store: any JobStore
    let resultsTTL: Duration

    /// The finished job that answers `range` for `owner`, or nil when none is known. Another
    /// key's job stays invisible: that owner gets a finished job of its own, stored like any job.
    func finishedJob(for range: PrimeRange, owner: String?, idempotencyKey: String?, now: Date) async throws
        -> Job?
    {
        guard let known = try await store.finishedJob(a: range.a, b: range.b, now: now) else { return nil }
        guard known.owner != owner else { return known }
        var copy = Job(
            a: range.a, b: range.b, createdAt: now, expiresAt: now, idempotencyKey: idempotencyKey,
            owner: owner)
        copy.startedAt = now
        copy.finish(sum: known.sum ?? 0, now: now, ttl: resultsTTL)
        return try await store.create(copy).job
    }
}
