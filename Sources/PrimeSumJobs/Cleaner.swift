import Foundation
import Logging
import Metrics
import ServiceLifecycle

/// Every `interval`, the replica holding the store's cleaner lease requeues jobs whose worker
/// lease lapsed and deletes terminal jobs past their TTL. Every replica runs one; the lease
/// makes exactly one of them work at a time.
public struct Cleaner: Service {
    private let store: any JobStore
    private let interval: Duration
    private let maxAttempts: Int
    private let holder: String
    private let logger: Logger
    private let queueDepth = Gauge(label: "primesum_queue_depth")

    public init(store: any JobStore, interval: Duration, maxAttempts: Int, holder: String, logger: Logger) {
        self.store = store
        self.interval = interval
        self.maxAttempts = maxAttempts
        self.holder = holder
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await sweep()
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass: gauge the queue, and clean when this replica holds the lease.
    public func sweep(now: Date = Date()) async {
        do {
            queueDepth.record(try await store.queuedCount())
            let leaseUntil = now.addingTimeInterval(interval.timeInterval * 2)
            guard try await store.acquireCleanerLease(holder: holder, until: leaseUntil, now: now) else {
                return
            }
            let requeued = try await store.requeueLapsed(now: now, maxAttempts: maxAttempts)
            let deleted = try await store.deleteExpired(now: now)
            if requeued + deleted > 0 {
                logger.info("cleaned", metadata: ["requeued": "\(requeued)", "deleted": "\(deleted)"])
            }
        } catch {
            logger.warning("cleaning failed", metadata: ["error": "\(error)"])
        }
    }
}
