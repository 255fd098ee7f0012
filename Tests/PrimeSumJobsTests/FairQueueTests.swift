import Foundation
import Logging
import PrimeSumJobs
import PrimeSumJobsTestSupport
import Synchronization
import Testing

/// A split job's parts, queued ahead of every job submitted after them, never hold every worker
/// of a pool: the jobs submitted meanwhile finish while its parts still compute, and the parts
/// still all finish (no wake-up of a part is lost to a worker that takes whole jobs only).
@Suite struct FairQueueTests {
    @Test(arguments: Backend.all)
    func jobsSubmittedAfterASplitJobFinishWhileItsPartsCompute(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let gate = Mutex(false)
        let running = Mutex((now: 0, most: 0))
        let pool = WorkerPool(
            store: store, configuration: .init(workers: 2, idlePollInterval: .seconds(3_600)),
            logger: Logger(label: "test"),
            split: { job in
                job.b - job.a == 8_000
                    ? (0..<8).map { JobPartPlan(job.a + $0 * 1_000..<job.a + ($0 + 1) * 1_000) } : []
            }
        ) { job, _ in
            guard job.parent != nil else { return .finished(UInt128(job.b)) }
            running.withLock {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
            defer { running.withLock { $0.now -= 1 } }
            while !gate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
            return .finished(UInt128(job.b))
        }
        let workers = Task { try await pool.run() }
        defer { workers.cancel() }

        let now = store.clock.now()
        let split = Job(a: 1_000_000, b: 1_008_000, createdAt: now, expiresAt: now.addingTimeInterval(600))
        _ = try await store.submit(split)
        try await eventually("a part runs") { running.withLock { $0.now } >= 1 }

        // Each whole job submitted now finishes while the gate holds every part back.
        for index in 0..<5 {
            let now = store.clock.now()
            let job = Job(
                a: 10, b: 20 + UInt64(index), createdAt: now, expiresAt: now.addingTimeInterval(600))
            _ = try await store.submit(job)
            let finished = try await ended(job.id, in: store)
            #expect(
                finished?.status == .finished && finished?.sum == UInt128(job.b),
                "job \(index): \(finished as Any)")
        }
        #expect(running.withLock { $0.most } == 1, "parts held both workers")

        gate.withLock { $0 = true }
        let settled = try await ended(split.id, in: store)
        #expect(settled?.status == .finished)
        #expect(settled?.sum == (0..<8).reduce(UInt128(0)) { $0 + UInt128(split.a + ($1 + 1) * 1_000) })
        #expect(running.withLock { $0.most } == 1)
    }

    /// Two claims of a pool with one part slot overlap, and each takes a part (neither holds
    /// the slot during its round trip): the one that lands second gives its part back to the
    /// queue at once, so one part computes at a time, and both still finish, attempted once.
    @Test func aPartBeyondThePoolsSlotsGoesBackToTheQueue() async throws {
        let store = InstrumentedJobStore()
        let running = Mutex((now: 0, most: 0))
        let pool = WorkerPool(
            store: store, configuration: .init(workers: 2, idlePollInterval: .seconds(3_600)),
            logger: Logger(label: "test")
        ) { job, _ in
            running.withLock {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
            defer { running.withLock { $0.now -= 1 } }
            try await Task.sleep(for: .milliseconds(200))
            return .finished(UInt128(job.b))
        }
        let workers = Task { try await pool.run() }
        defer { workers.cancel() }
        try await eventually("both workers wait") { store.changes.subscriberCount == 2 }
        store.hold(.claim, untilConcurrent: 2, atMost: .seconds(20))

        let now = store.clock.now()
        _ = try await store.base.submit(
            Job(a: 100, b: 300, createdAt: now, expiresAt: now.addingTimeInterval(600)))
        let parent = try #require(try await store.base.claimNext(worker: "splitter", lease: .seconds(60)))
        _ = try await store.base.split(parent, into: [100..<200, 200..<300], ttl: .seconds(600))
        let settled = try await ended(parent.id, in: store)
        #expect(settled?.status == .finished && settled?.sum == 200 + 300)
        #expect(store.mostConcurrent(.claim) == 2)
        #expect(running.withLock { $0.most } == 1, "both parts computed at once")
        for part in try await store.base.parts(of: parent.id) { #expect(part.attempts == 1) }
    }

    /// The job once it ended, or nil when it did not within 60 s (the whole suite at once on two
    /// cores slows everything; a job that waited for a part
    /// to finish, or for the hour-long idle poll, shows as nil).
    private func ended(_ id: UUID, in store: any JobStore) async throws -> Job? {
        let givenUp = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < givenUp {
            let change = store.changes.subscribe(.job(id))
            if let job = try await store.job(id: id), job.status.isTerminal {
                change.cancel()
                return job
            }
            await change.wait(timeout: givenUp - ContinuousClock.now)
        }
        return nil
    }

    private func eventually(_ what: String, _ condition: () -> Bool) async throws {
        let givenUp = ContinuousClock.now + .seconds(60)
        while !condition() {
            try #require(ContinuousClock.now < givenUp, "never: \(what)")
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
