import Foundation
import Logging
import PrimeSumJobs
import PrimeSumJobsTestSupport
import Testing

/// The cleaner's lease and the replicas' heartbeats are capabilities a store may lack: a
/// measured store has exactly those of its backend, and a cleaner on a store without the lease
/// still requeues what lapsed.
@Suite struct StoreCapabilityTests {
    @Test func aMeasuredStoreHasItsBackendsCapabilitiesOnly() {
        let full = MemoryJobStore().measured
        #expect(full is any CleanerLeaseStore && full is any HeartbeatStore)
        let bare = InstrumentedJobStore().measured
        #expect(!(bare is any CleanerLeaseStore) && !(bare is any HeartbeatStore))
    }

    @Test func aCleanerOnAStoreWithoutTheLeaseAlwaysSweeps() async throws {
        let store = InstrumentedJobStore()
        let now = Date()
        var job = Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(600))
        job.claim(by: "dead", lease: .milliseconds(1), now: now)
        _ = try await store.submit(job)
        await Cleaner(
            store: store.measured, interval: .seconds(1), maxAttempts: 3, resultsTTL: .seconds(600),
            holder: "cleaner", logger: Logger(label: "test")
        ).sweep(now: now.addingTimeInterval(60), full: false)
        #expect(try await store.base.job(id: job.id)?.status == .queued)
    }
}
