import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Every `interval`, the replica holding the store's cleaner lease requeues jobs whose worker
/// lease lapsed (failing the parent of a part out of attempts, and settling a split parent
/// whose settlement check came due: see `Job.settlementCheck`) and deletes terminal jobs past
/// their TTL. Every replica runs one; the lease (`CleanerLeaseStore`, twice the interval long,
/// so a dead holder is replaced within two sweeps) makes exactly one of them work at a time; on
/// a store without that capability, this cleaner always works. A sweep costs a replica that does not hold the lease one query; every
/// `fullSweepEvery` sweeps it also gauges the queue and the holder deletes expired jobs, so an
/// idle cluster stays quiet while lapsed leases are still requeued within a second.
///
/// A lease lapses only when its worker was silent for a whole lease while the store answered:
/// after this replica could not reach the store, it requeues nothing for one worker lease, so
/// that the workers the same outage silenced (every one, when the store restarted) renew
/// theirs first. Otherwise an outage longer than the lease would requeue every running job
/// and count an attempt against it (scripts/nemesis: three CouchDB restarts FAILED a job).
public struct Cleaner: Service {
    private let store: any JobStore
    private let lease: (any CleanerLeaseStore)?
    private let interval: Duration
    private let maxAttempts: Int
    private let resultsTTL: Duration
    private let holder: String
    private let logger: Logger
    private let queueDepth: Gauge
    /// Seconds since the oldest queued job or part was created (0 for an empty queue): a
    /// queue that no worker drains ages while its depth may hold still.
    private let oldestQueued: Gauge
    /// Replicas whose heartbeat the store holds: fewer than Prometheus scrapes means a
    /// replica runs but cannot write to the store.
    private let replicasHeartbeating: Gauge
    /// Jobs whose worker's lease lapsed, by what the sweep made of them.
    private let lapsedRequeued: Counter
    private let lapsedFailed: Counter
    private let fullSweepEvery = 5
    private let workerLease: Duration
    /// When a sweep of this replica last failed to reach the store.
    private let lastOutage = OutageClock()

    /// `resultsTTL` is how long a job failed by a part out of attempts stays listed;
    /// `workerLease` the workers' lease (`lease.seconds`), waited out after an outage; `metrics`
    /// receives the gauges and counters.
    public init(
        store: any JobStore, interval: Duration, maxAttempts: Int, resultsTTL: Duration, holder: String,
        logger: Logger, workerLease: Duration = .zero, metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.workerLease = workerLease
        queueDepth = Gauge(label: "primesum_queue_depth", factory: metrics)
        oldestQueued = Gauge(label: "primesum_queue_oldest_seconds", factory: metrics)
        replicasHeartbeating = Gauge(label: "primesum_replicas_heartbeating", factory: metrics)
        lapsedRequeued = Counter(
            label: "primesum_leases_lapsed_total", dimensions: [("outcome", "requeued")], factory: metrics)
        lapsedFailed = Counter(
            label: "primesum_leases_lapsed_total", dimensions: [("outcome", "failed")], factory: metrics)
        self.store = store
        lease = store as? any CleanerLeaseStore
        self.interval = interval
        self.maxAttempts = maxAttempts
        self.resultsTTL = resultsTTL
        self.holder = holder
        self.logger = logger
    }

    public func run() async throws {
        var sweeps = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await sweep(full: sweeps % fullSweepEvery == 0)
            sweeps += 1
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass: requeue lapsed jobs when this replica holds the lease; a full pass also gauges
    /// the queue and deletes expired jobs.
    /// `now` is the store's clock unless a test says otherwise.
    public func sweep(now: Date? = nil, full: Bool = true) async {
        let now = now ?? store.clock.now()
        do {
            if full {
                queueDepth.record(try await store.queuedCount())
                let oldest = try await store.oldestQueuedAt()
                oldestQueued.record(oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
                if let heartbeats = store as? any HeartbeatStore {
                    replicasHeartbeating.record(try await heartbeats.heartbeats(now: now).count)
                }
            }
            let leaseUntil = now.addingTimeInterval(interval.timeInterval * 2)
            guard try await lease?.acquireCleanerLease(holder: holder, until: leaseUntil, now: now) ?? true
            else {
                return
            }
            let requeued =
                lastOutage.within(workerLease)
                ? [] : try await store.requeueLapsed(now: now, maxAttempts: maxAttempts)
            // A split parent's lapsed lease is its settlement check, not a lapse of a worker.
            let lapsed = requeued.filter { $0.partCount == 0 }
            lapsedRequeued.increment(by: lapsed.filter { $0.status == .queued }.count)
            lapsedFailed.increment(by: lapsed.filter { $0.status == .failed }.count)
            // A part out of attempts fails its parent; a split parent due for its check is
            // settled if its parts allow.
            let parents =
                requeued.filter { $0.status == .failed }.compactMap(\.parent)
                + requeued.filter { $0.partCount > 0 }.map(\.id)
            for parent in Set(parents) {
                _ = try await store.settle(parentID: parent, ttl: resultsTTL)
            }
            let deleted = full ? try await store.deleteExpired(now: now) : 0
            if requeued.count + deleted > 0 {
                logger.info("cleaned", metadata: ["requeued": "\(requeued.count)", "deleted": "\(deleted)"])
            }
        } catch {
            lastOutage.record()
            logger.log(
                level: JobStoreError.logLevel(of: error), "cleaning failed", metadata: ["error": "\(error)"])
        }
    }
}

/// The last time something happened, on this process's monotonic clock.
private final class OutageClock: Sendable {
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    func record() { last.withLock { $0 = .now } }

    /// Whether it happened less than `duration` ago.
    func within(_ duration: Duration) -> Bool {
        last.withLock { last in last.map { ContinuousClock.now - $0 < duration } ?? false }
    }
}
