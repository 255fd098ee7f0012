import Foundation
import PrimeSumAPI
import PrimeSumJobs
import Synchronization

/// The service's figures for the console (`GET /v1/stats`), from the store: the queue, and
/// every replica's heartbeat (jobs running, jobs finished and their latency per window). Read
/// from the store at most once a second, however many consoles ask.
final class ServiceStats: Sendable {
    /// What `GET /v1/stats` answers.
    struct Snapshot: Encodable, Sendable {
        /// When it was read.
        var at: String
        var queued: Int
        var inProgress: Int
        var replicas: Int
        var workers: Int
        var windowSeconds: Int64
        /// The last complete windows, oldest first, the ones without a finished job included.
        var windows: [Window]
    }

    /// Every replica's jobs finished in one window.
    struct Window: Encodable, Sendable {
        /// Unix seconds.
        var start: Int64
        var finished: Int
        var finishedPerSecond: Double
        /// End-to-end latency (submit to result) percentiles, within 19%; nil without jobs.
        var p50Ms: Double?
        var p90Ms: Double?
        var p99Ms: Double?
    }

    private let store: any JobStore
    private let cached = Mutex<
        (snapshot: Snapshot, replicas: [ReplicaHeartbeat], read: ContinuousClock.Instant)?
    >(
        nil)
    private static let freshFor = Duration.seconds(1)

    init(store: any JobStore) { self.store = store }

    /// The figures and the replicas listed, read from the store unless read within a second.
    func current() async throws -> (snapshot: Snapshot, replicas: [ReplicaHeartbeat]) {
        if let cached = cached.withLock({ $0 }), ContinuousClock.now - cached.read < Self.freshFor {
            return (cached.snapshot, cached.replicas)
        }
        let now = store.clock.now()
        let replicas = try await (store as? any HeartbeatStore)?.replicas(now: now) ?? []
        let snapshot = Self.snapshot(queued: try await store.queuedCount(), replicas: replicas, now: now)
        cached.withLock { $0 = (snapshot, replicas, ContinuousClock.now) }
        return (snapshot, replicas)
    }

    /// Adds up the replicas' windows: the last `ReplicaActivity.windowCount` complete ones.
    static func snapshot(queued: Int, replicas: [ReplicaHeartbeat], now: Date) -> Snapshot {
        let length = ReplicaActivity.windowSeconds
        let newest = ReplicaActivity.windowStart(now) - length
        let starts = (0..<Int64(ReplicaActivity.windowCount)).map { newest - $0 * length }.reversed()
        var merged: [Int64: ActivityWindow] = [:]
        for replica in replicas {
            for window in replica.activity {
                merged[window.start, default: ActivityWindow(start: window.start)].finished += window.finished
                merged[window.start]?.latency.merge(window.latency)
            }
        }
        let windows = starts.map { start in
            let window = merged[start] ?? ActivityWindow(start: start)
            return Window(
                start: start, finished: window.finished,
                finishedPerSecond: Double(window.finished) / Double(length),
                p50Ms: window.latency.percentile(0.5), p90Ms: window.latency.percentile(0.9),
                p99Ms: window.latency.percentile(0.99))
        }
        return Snapshot(
            at: JobDocument.format(now), queued: queued, inProgress: replicas.reduce(0) { $0 + $1.running },
            replicas: replicas.count, workers: replicas.reduce(0) { $0 + $1.workers }, windowSeconds: length,
            windows: windows)
    }
}
