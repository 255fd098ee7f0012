import Foundation
import Logging
import MetricsTestKit
import PrimeSumJobs
import PrimeSumJobsTestSupport
import Testing

/// The series the alerting rules of `deploy/prometheus` read.
@Suite struct OperationalMetricsTests {
    /// A sweep counts each lapsed lease by what it made of the job, and gauges the replicas
    /// whose heartbeat the store holds; a split parent's settlement check is no lapse.
    @Test func aSweepCountsLapsedLeasesAndGaugesTheReplicasHeartbeating() async throws {
        let metrics = TestMetrics()
        let store = MemoryJobStore()
        let now = Date()
        for attempts in [0, 1] {
            var job = Job(
                a: 1, b: 10 + UInt64(attempts), createdAt: now, expiresAt: now.addingTimeInterval(600))
            job.attempts = attempts
            job.claim(by: "dead", lease: .milliseconds(1), now: now)
            _ = try await store.submit(job)
        }
        try await store.recordHeartbeat(replica: "alive", document: "{}", until: now.addingTimeInterval(600))
        try await store.recordHeartbeat(replica: "gone", document: "{}", until: now.addingTimeInterval(1))
        await Cleaner(
            store: store, interval: .seconds(1), maxAttempts: 2, resultsTTL: .seconds(600), holder: "cleaner",
            logger: Logger(label: "test"), metrics: metrics
        ).sweep(now: now.addingTimeInterval(60), full: true)
        #expect(
            try metrics.expectCounter("primesum_leases_lapsed_total", [("outcome", "requeued")]).values == [1]
        )
        #expect(
            try metrics.expectCounter("primesum_leases_lapsed_total", [("outcome", "failed")]).values == [1])
        #expect(try metrics.expectGauge("primesum_replicas_heartbeating").lastValue == 1)
    }

    /// A full sweep gauges how long the oldest queued job has waited; 0 once none waits.
    @Test func aSweepGaugesTheAgeOfTheOldestQueuedJob() async throws {
        let metrics = TestMetrics()
        let store = MemoryJobStore()
        let now = Date(epochMilliseconds: 1_800_000_000_000)
        let cleaner = Cleaner(
            store: store, interval: .seconds(1), maxAttempts: 2, resultsTTL: .seconds(600), holder: "cleaner",
            logger: Logger(label: "test"), metrics: metrics)
        for age in [10.0, 100.0] {
            _ = try await store.submit(
                Job(
                    a: 1, b: 10 + UInt64(age), createdAt: now.addingTimeInterval(-age),
                    expiresAt: now.addingTimeInterval(600)))
        }
        await cleaner.sweep(now: now, full: true)
        #expect(try metrics.expectGauge("primesum_queue_oldest_seconds").lastValue == 100)
        while let claimed = try await store.claimNext(worker: "w", lease: .seconds(60)) {
            _ = try await store.complete([Completion(claimed, .finished(1))], ttl: .seconds(600))
        }
        await cleaner.sweep(now: now, full: true)
        #expect(try metrics.expectGauge("primesum_queue_oldest_seconds").lastValue == 0)
    }

    @Test func aStoreOperationThatFailsIsCountedByOperation() async throws {
        let metrics = TestMetrics()
        let base = InstrumentedJobStore()
        base.before(.read) { _ in throw JobStoreError.unavailable("down") }
        let store = MeasuredJobStore(base, metrics: metrics)
        _ = try? await store.job(id: UUID())
        _ = try await store.queuedCount()
        #expect(
            try metrics.expectCounter("primesum_store_errors_total", [("operation", "get")]).values == [1])
        #expect(metrics.counterTotal(label: "primesum_store_errors_total") == 1)
        #expect(
            try metrics.expectTimer("primesum_store_operation_seconds", [("operation", "get")]).values.count
                == 1)
    }
}

/// After its replica lost the store, the cleaner gives the workers one lease to renew before
/// it requeues anything: an outage is no lapse.
@Suite struct CleanerAfterOutageTests {
    @Test func aLeaseThatLapsedDuringAnOutageIsRenewedNotRequeued() async throws {
        let store = InstrumentedJobStore()
        store.before(.count) { call in if call == 1 { throw JobStoreError.unavailable("restarting") } }
        let now = Date()
        var alive = Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(600))
        alive.claim(by: "alive", lease: .milliseconds(1), now: now)
        var dead = Job(a: 1, b: 11, createdAt: now, expiresAt: now.addingTimeInterval(600))
        dead.claim(by: "dead", lease: .milliseconds(1), now: now)
        for job in [alive, dead] { _ = try await store.submit(job) }
        let cleaner = Cleaner(
            store: store, interval: .seconds(1), maxAttempts: 3, resultsTTL: .seconds(600), holder: "cleaner",
            logger: Logger(label: "test"), workerLease: .milliseconds(600))

        await cleaner.sweep(full: true)  // the store does not answer
        await cleaner.sweep(full: false)  // it answers: the lapsed leases wait
        #expect(try await store.base.job(id: alive.id)?.status == .inProgress)
        #expect(try await store.base.job(id: dead.id)?.status == .inProgress)
        let lost = try await store.renewLeases(
            [LeaseRenewal(try #require(alive.lease), progress: 0.5)], lease: .seconds(60))
        #expect(lost.isEmpty)

        try await Task.sleep(for: .milliseconds(700))
        await cleaner.sweep(full: false)
        let renewed = try #require(try await store.base.job(id: alive.id))
        #expect(renewed.status == .inProgress && renewed.attempts == 1)
        #expect(try await store.base.job(id: dead.id)?.status == .queued)
    }
}
