import Foundation
import PrimeSum

/// The fields a split sets, shared by every store: a part is an ordinary QUEUED
/// job with a `parent`, so any worker on any replica claims it through the same queue.
extension Job {
    /// The part of `parent` that `plan` describes: QUEUED, created `now`, in its parent's
    /// trace. Its idempotency key is its index under the owner `partOwner(of:)`, so splitting
    /// the same parent again (its first splitter died before it marked the parent split) finds
    /// the parts already stored.
    public static func part(of parent: Job, index: Int, plan: JobPartPlan, now: Date) -> Job {
        Job(
            a: plan.range.lowerBound, b: plan.range.upperBound, createdAt: now, expiresAt: parent.expiresAt,
            idempotencyKey: "\(index)", owner: partOwner(of: parent.id), parent: parent.id, piece: plan.piece,
            traceContext: parent.traceContext)
    }

    /// The owner of a parent's parts: no client's key fingerprint (hex) looks like it, so a
    /// client's `Idempotency-Key` never names a part.
    public static func partOwner(of parent: UUID) -> String { "parts-of:\(parent.uuidString)" }

    /// IN_PROGRESS → split into `count` parts: the parent has no lease owner (nothing computes
    /// it) and finishes when its last part does. Its lease expiry becomes the time of a check
    /// that it was settled (`settlementCheck`).
    public mutating func markSplit(into count: Int, now: Date) {
        partCount = count
        progress = 0
        leaseOwner = nil
        leaseExpiresAt = now.addingTimeInterval(Self.settlementCheck.timeInterval)
    }

    /// How often the cleaner checks a split parent whose parts may have ended without settling
    /// it (its settler died between the two writes, on a store where they are not one step):
    /// the parent's lease "lapses", and the cleaner settles it or checks again this much later.
    public static let settlementCheck = Duration.seconds(15)

    /// The parent as `parts` settle it: FINISHED with the sum once every part finished, FAILED
    /// once one failed or when the pieces of a prefix sum do not join (computed by replicas
    /// with different alphas, say); nil while it is not a split job in progress or still has
    /// parts to wait for. A failed parent's other parts are the caller's to cancel.
    public func settled(by parts: [Job], now: Date, ttl: Duration) -> Job? {
        guard status == .inProgress, partCount > 0 else { return nil }
        var parent = self
        if let failed = parts.first(where: { $0.status == .failed }) {
            parent.fail(
                JobFailure(
                    code: "part_failed",
                    message:
                        "the part [\(failed.a), \(failed.b)) of this job failed: \(failed.failure?.message ?? "no reason given")"
                ), now: now, ttl: ttl)
            return parent
        }
        let finished = parts.filter { $0.status == .finished }
        guard finished.count == partCount else { return nil }
        do {
            parent.finish(sum: try sum(of: finished), now: now, ttl: ttl)
        } catch {
            parent.fail(
                JobFailure(
                    code: "pieces_disagree",
                    message: "the pieces of a prefix sum of this job do not join: \(error)"),
                now: now, ttl: ttl)
        }
        return parent
    }

    /// The sum of this job from its finished parts: each range part's sum, and each prefix
    /// sum's pieces joined, added or (`isSubtracted(from:)`) taken away.
    private func sum(of finished: [Job]) throws(PrimeSumError) -> UInt128 {
        var values: [(part: Job, value: UInt128)] = []
        // The pieces of each prefix sum, by its range, with one of them to stand for it.
        var pieces: [Range<UInt64>: (part: Job, results: [PrefixSumPartResult])] = [:]
        for part in finished {
            guard part.piece != nil else {
                values.append((part, part.sum ?? 0))
                continue
            }
            guard let bytes = part.pieceResult else {
                throw .invalidInput(field: "parts", reason: "piece \(part.id) finished without its result")
            }
            pieces[part.a..<part.b, default: (part, [])].results.append(try PrefixSumPartResult(bytes: bytes))
        }
        for (part, results) in pieces.values {
            values.append((part, try PrefixSumPartResult.combine(results)))
        }
        // Modulo 2^128: the parts of [0, b) - [0, a) pass through negative values.
        return values.reduce(UInt128(0)) { total, entry in
            entry.part.isSubtracted(from: self) ? total &- entry.value : total &+ entry.value
        }
    }

    /// Whether this part's sum is taken away from its parent's rather than added: a job split
    /// into its two prefix sums [0, b) − [0, a) has a part that ends where the parent starts;
    /// every other part lies inside the parent's range.
    public func isSubtracted(from parent: Job) -> Bool { b <= parent.a }
}
