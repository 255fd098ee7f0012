import Foundation

/// The fields a split sets, shared by `JobParts` and every store: a part is an ordinary QUEUED
/// job with a `parent`, so any worker on any replica claims it through the same queue.
extension Job {
    /// The part of `parent` that sums [a, b): QUEUED, created `now`. Its idempotency key is its
    /// index under the owner `partOwner(of:)`, so splitting the same parent again (its first
    /// splitter died before it marked the parent split) finds the parts already stored.
    public static func part(of parent: Job, index: Int, a: UInt64, b: UInt64, now: Date) -> Job {
        Job(
            a: a, b: b, createdAt: now, expiresAt: parent.expiresAt, idempotencyKey: "\(index)",
            owner: partOwner(of: parent.id), parent: parent.id)
    }

    /// The owner of a parent's parts: no client's key fingerprint (hex) looks like it, so a
    /// client's `Idempotency-Key` never names a part.
    public static func partOwner(of parent: UUID) -> String { "parts-of:\(parent.uuidString)" }

    /// IN_PROGRESS → split into `count` parts: the parent holds no lease (nothing computes it,
    /// so nothing requeues it) and finishes when its last part does.
    public mutating func markSplit(into count: Int) {
        partCount = count
        progress = 0
        leaseOwner = nil
        leaseExpiresAt = nil
    }

    /// Whether this part's sum is taken away from its parent's rather than added: a job split
    /// into its two prefix sums [0, b) − [0, a) has a part that ends where the parent starts;
    /// every other part lies inside the parent's range.
    public func isSubtracted(from parent: Job) -> Bool { b <= parent.a }
}
