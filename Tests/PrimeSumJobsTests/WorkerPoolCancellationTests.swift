import Foundation
import Logging
import PrimeSumJobs
import Testing

@Suite struct WorkerPoolCancellationTests {
    /// A pool whose task is cancelled mid-job (the process going away without a drain) hands the
    /// job back to the queue, uncounted, rather than failing it or leaving it leased.
    @Test func aPoolCancelledMidJobHandsTheJobBack() async throws {
        let store = MemoryJobStore()
        let now = Date()
        let job = try await store.submit(
            Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(600))
        ).job
        let started = AsyncStream<Void>.makeStream()
        let stopped = AsyncStream<Void>.makeStream()
        let pool = WorkerPool(
            store: store, configuration: .init(workers: 1, leaseRenewalInterval: .milliseconds(50)),
            logger: Logger(label: "test")
        ) { _, _ in
            started.continuation.yield()
            defer { stopped.continuation.yield() }
            try await Task.sleep(for: .seconds(3_600))
            return .finished(0)
        }
        let running = Task { try await pool.run() }
        for await _ in started.stream { break }
        try await Task.sleep(for: .milliseconds(200))  // a few heartbeats
        running.cancel()
        _ = await running.result
        for await _ in stopped.stream { break }
        let stored = try #require(try await store.job(id: job.id))
        #expect(stored.status == .queued, "\(stored)")
        #expect(stored.attempts == 0 && stored.failure == nil && stored.leaseOwner == nil)
    }
}
