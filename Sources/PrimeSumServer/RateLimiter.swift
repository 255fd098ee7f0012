import Foundation
import PrimeSumJobs
import Synchronization

/// Per-client token buckets: each client may spend `burst` requests at once and regains
/// `perSecond` of them every second.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }
    private let limit: ServerConfiguration.RateLimit
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Past this many clients the table is pruned: full buckets (idle clients) are forgotten,
    /// then, if many clients are still active, all but the most recent half of the threshold.
    static let pruneThreshold = 10_000

    /// Clients with a bucket (at most `pruneThreshold`).
    var clientCount: Int { buckets.withLock { $0.count } }

    init(limit: ServerConfiguration.RateLimit) { self.limit = limit }

    /// Takes a token for `client`; nil when allowed, else the seconds until one is available.
    func acquire(for client: String, now: ContinuousClock.Instant = .now) -> Int? {
        guard limit.perSecond > 0 else { return nil }
        return buckets.withLock { buckets in
            var bucket = buckets[client] ?? Bucket(tokens: limit.burst, updated: now)
            let elapsed = (now - bucket.updated).timeInterval
            bucket.tokens = min(limit.burst, bucket.tokens + elapsed * limit.perSecond)
            bucket.updated = now
            defer {
                buckets[client] = bucket
                if buckets.count > Self.pruneThreshold { prune(&buckets, now: now) }
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / limit.perSecond).rounded(.up)))
        }
    }

    private func prune(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + (now - bucket.updated).timeInterval * limit.perSecond < limit.burst
        }
        // A flood from many addresses keeps every bucket busy: forgetting the least recent
        // ones bounds the table, and pruning to half the threshold keeps it rare.
        guard buckets.count > Self.pruneThreshold / 2 else { return }
        let recent = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(Self.pruneThreshold / 2)
        buckets = Dictionary(uniqueKeysWithValues: recent.map { ($0.key, $0.value) })
    }
}
