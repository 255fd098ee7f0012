import Foundation
import Logging
import PrimeSumJobs
import Synchronization
import Testing

/// No queued job waits for a fallback poll while a worker is idle. With the idle poll at an
/// hour, a single lost wake-up would hold a job until the test gives up on it; every one of
/// 2,000 jobs from 16 concurrent clients must finish within seconds.
@Suite struct WakeUpTests {
    @Test(arguments: Backend.all)
    func everyJobFindsAnIdleWorkerWithoutTheFallbackPoll(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let pool = WorkerPool(
            store: store,
            configuration: .init(workers: 4, idlePollInterval: .seconds(3_600)),
            logger: Logger(label: "test")
        ) { job, _ in UInt128(job.b) }
        let workers = Task { try await pool.run() }
        defer { workers.cancel() }
        // Every worker is idle, subscribed and waiting before the first job arrives.
        try await Task.sleep(for: .milliseconds(200))

        let slowest = try await withThrowingTaskGroup(of: Duration.self) { group in
            for client in 0..<16 {
                group.addTask {
                    var slowest = Duration.zero
                    for index in 0..<125 {
                        let submitted = ContinuousClock.now
                        let now = Date()
                        let job = Job(
                            a: 1, b: UInt64(client * 1_000 + index + 10), createdAt: now,
                            expiresAt: now.addingTimeInterval(600))
                        _ = try await store.create(job)
                        let givenUp = submitted + .seconds(60)
                        while ContinuousClock.now < givenUp {
                            let done = store.changes.subscribe(.job(job.id))
                            if let stored = try await store.job(id: job.id), stored.status.isTerminal {
                                done.cancel()
                                #expect(stored.status == .finished && stored.sum == UInt128(job.b))
                                break
                            }
                            await done.wait(timeout: givenUp - ContinuousClock.now)
                        }
                        slowest = max(slowest, ContinuousClock.now - submitted)
                    }
                    return slowest
                }
            }
            return try await group.reduce(.zero) { max($0, $1) }
        }
        // A job that waited for the poll would show here as 60 s (given up); on an idle machine
        // the slowest takes milliseconds, and half the give-up leaves room for a machine running
        // every other suite at once (11 s seen there).
        #expect(slowest < .seconds(30), "one job took \(slowest) from submit to FINISHED")
    }
}

@Suite struct ChangeFeedFollowTests {
    @Test func aFeedThatFailsIsOpenedAgainAndEachOpeningWakesIdleWorkers() async throws {
        let feed = JobChangeFeed()
        let attempts = Mutex(0)
        let idleWorker = feed.subscribe(.queue)
        let follower = Task {
            await feed.follow("test feed", logger: Logger(label: "test")) { opened in
                let attempt = attempts.withLock {
                    $0 += 1; return $0
                }
                if attempt < 3 { throw CancellationError() }
                opened()
                try await Task.sleep(for: .seconds(60))
            }
        }
        defer { follower.cancel() }
        let started = ContinuousClock.now
        // Only an opening wakes the worker (the generous timeout is for a loaded machine).
        await idleWorker.wait(timeout: .seconds(120))
        #expect(attempts.withLock { $0 } == 3, "woken before the feed opened")
        // Opened on the third attempt, after backing off 100 ms and 200 ms.
        #expect(ContinuousClock.now - started >= .milliseconds(300))
    }
}

@Suite struct SignalHandOverTests {
    /// A worker that got a job hands on only a wake-up it took meanwhile, not one per claim.
    @Test func cancellingSaysWhetherTheSubscriptionHadTakenASignal() {
        let feed = JobChangeFeed()
        let untouched = feed.subscribe(.queue)
        #expect(untouched.cancel() == false)
        let signalled = feed.subscribe(.queue)
        feed.signal(.queue)
        #expect(signalled.cancel() == true)
        let other = feed.subscribe(.queue)
        feed.signal(.queue)
        #expect(other.cancel() == true, "the cancelled subscriptions must not take signals")
    }
}
