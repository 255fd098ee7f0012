import Foundation
import Logging
import PrimeSumJobs
import PrimeSumJobsTestSupport
import Testing

/// A worker does not wait for one job's completion to reach the store before it computes the
/// next: with a store a round trip away, a worker would otherwise finish one job a round trip.
@Suite struct CompletionsInFlightTests {
    @Test func aWorkersCompletionsOverlapTheJobsAfterThem() async throws {
        let store = InstrumentedJobStore()
        // A completion is held until another one runs beside it (20 s at most): a worker that
        // waited for each completion before the next job would never have two.
        store.hold(.complete, untilConcurrent: 2, atMost: .seconds(20))
        let now = Date()
        let jobs = (0..<3).map { index in
            Job(a: 10, b: 20 + UInt64(index), createdAt: now, expiresAt: now.addingTimeInterval(600))
        }
        for job in jobs { _ = try await store.submit(job) }
        let pool = WorkerPool(
            store: store, configuration: .init(workers: 1, idlePollInterval: .seconds(3_600)),
            logger: Logger(label: "test")
        ) { job, _ in .finished(UInt128(job.b)) }
        let workers = Task { try await pool.run() }
        defer { workers.cancel() }

        let givenUp = ContinuousClock.now + .seconds(120)
        while try await !jobs.asyncAllSatisfy({ try await store.base.job(id: $0.id)?.status == .finished }) {
            try #require(ContinuousClock.now < givenUp, "the jobs did not all finish")
            try await Task.sleep(for: .milliseconds(10))
        }
        for job in jobs { #expect(try await store.base.job(id: job.id)?.sum == UInt128(job.b)) }
        // One worker: every overlap is of its own completions.
        #expect(store.mostConcurrent(.complete) > 1, "each completion waited for the one before")
    }
}

extension Sequence {
    fileprivate func asyncAllSatisfy(_ predicate: (Element) async throws -> Bool) async rethrows -> Bool {
        for element in self where try await !predicate(element) { return false }
        return true
    }
}
