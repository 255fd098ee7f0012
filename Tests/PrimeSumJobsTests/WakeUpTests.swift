import Foundation
import Logging
import PrimeSumJobs
import PrimeSumJobsTestSupport
import Synchronization
import Testing

/// No queued job waits for a fallback poll while a worker is idle. With the idle poll at an
/// hour, a single lost wake-up would hold a job until the test gives up on it; every one of
/// 2,000 jobs from 16 concurrent clients must finish within seconds.
@Suite struct WakeUpTests {
    @Test(arguments: Backend.all)
    func everyJobFindsAnIdleWorkerWithoutTheFallbackPoll(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let workers = startedPool(on: store, workers: 4)
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
                        _ = try await store.submit(job)
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

@Suite struct HeldWakeUpTests {
    /// Subscribes to the queue and says whether it was woken within `timeout`, and whether
    /// for a backlog.
    func wokenAtOnce(_ feed: JobChangeFeed, within timeout: Duration = .milliseconds(300)) async -> (
        woken: Bool, backlog: Bool
    ) {
        let started = ContinuousClock.now
        let subscription = feed.subscribe(.queue)
        await subscription.wait(timeout: timeout)
        return (ContinuousClock.now - started < timeout, subscription.mayFindBacklog)
    }

    /// A job queued while every worker is busy is not forgotten: the next worker to look for
    /// work is woken by it at once, and one wake-up wakes one worker.
    @Test func aSignalThatFindsNoWorkerWakesTheNextOneOnce() async {
        let feed = JobChangeFeed()
        feed.signal(.queue)
        feed.signal(.queue)
        #expect(await wokenAtOnce(feed) == (true, false))
        #expect(await wokenAtOnce(feed) == (true, false))
        #expect(await wokenAtOnce(feed) == (false, false))
        // A job's own topic holds nothing: a long-poll reads the job after subscribing.
        let job = UUID()
        feed.publish(.job(job))
        let started = ContinuousClock.now
        await feed.subscribe(.job(job)).wait(timeout: .milliseconds(300))
        #expect(ContinuousClock.now - started >= .milliseconds(300))
    }

    /// A publish of the queue (a feed reopened, a batch requeued) may stand for many jobs: the
    /// worker it wakes, then or later, is told to look for a backlog.
    @Test func aPublishOfTheQueueIsABacklogHeldOnce() async {
        let feed = JobChangeFeed()
        let idle = feed.subscribe(.queue)
        feed.publish(.queue)
        await idle.wait(timeout: .seconds(10))
        #expect(idle.mayFindBacklog)
        feed.publish(.queue)
        feed.publish(.queue)
        #expect(await wokenAtOnce(feed) == (true, true))
        #expect(await wokenAtOnce(feed) == (false, false))
    }

    /// A worker that ends a job with nothing queued meanwhile waits for a wake-up instead of
    /// asking the store: a job costs one claim, where it cost two (the claim, and an empty one
    /// after the job).
    @Test func aJobCostsOneClaim() async throws {
        let store = InstrumentedJobStore()
        let workers = startedPool(on: store, workers: 2)
        defer { workers.cancel() }
        // Both workers look at the empty queue once at start, then wait.
        for _ in 0..<1_000 where store.count(of: .claim) < 2 { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(100))
        #expect(store.count(of: .claim) == 2)
        for index in 0..<50 {
            let now = Date()
            let job = Job(a: 1, b: UInt64(10 + index), createdAt: now, expiresAt: now.addingTimeInterval(600))
            let done = store.changes.subscribe(.job(job.id))
            _ = try await store.submit(job)
            #expect(await done.wait(timeout: .seconds(30))?.status == .finished)
        }
        #expect(store.count(of: .claim) == 2 + 50)
    }
}

/// Claims that overlap while the pool has one part slot cost no claim after them: no claim
/// holds the slot during its round trip, so neither is refused it and neither signals the
/// queue again for parts it might have passed by.
@Suite struct PartSlotWakeUpTests {
    @Test func overlappingClaimsOfWholeJobsCostNoEmptyClaim() async throws {
        let store = InstrumentedJobStore()
        let workers = startedPool(on: store, workers: 2)
        defer { workers.cancel() }
        try await untilWaiting(2, on: store)
        let before = store.count(of: .claim)
        #expect(before == 2)
        store.hold(.claim, untilConcurrent: 2, atMost: .seconds(20))
        let now = Date()
        let jobs = (0..<2).map {
            Job(a: 1, b: UInt64(10 + $0), createdAt: now, expiresAt: now.addingTimeInterval(600))
        }
        for job in jobs { _ = try await store.submit(job) }
        for job in jobs {
            var stored = try await store.base.job(id: job.id)
            for _ in 0..<3_000 where stored?.status != .finished {
                try await Task.sleep(for: .milliseconds(10))
                stored = try await store.base.job(id: job.id)
            }
            #expect(stored?.status == .finished)
        }
        try await untilWaiting(2, on: store)
        try await Task.sleep(for: .milliseconds(200))
        #expect(store.count(of: .claim) == before + 2)
        #expect(store.mostConcurrent(.claim) == 2)
    }
}

/// An idle worker can be handed a job its replica's API stored already claimed by it.
@Suite struct IdleWorkerTests {
    func job() -> Job {
        let now = Date()
        return Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(600))
    }

    /// Only a worker that named itself is reserved; while reserved it is no longer woken by
    /// signals (they are held), and on release a wake-up held meanwhile wakes it at once.
    @Test func aReservedWorkerIsOffTheWakeUpsUntilReleased() async {
        let feed = JobChangeFeed()
        let anonymous = feed.subscribe(.queue)
        #expect(feed.reserveIdleWorker() == nil)
        anonymous.cancel()
        let named = feed.subscribe(.queue, worker: "w-0")
        let idle = feed.reserveIdleWorker()
        #expect(idle?.name == "w-0")
        #expect(feed.reserveIdleWorker() == nil)
        feed.signal(.queue)
        let started = ContinuousClock.now
        idle?.release()
        #expect(await named.wait(timeout: .seconds(10)) == nil)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    /// A change carries only an ended job of its own topic: another job, or one still running,
    /// wakes the waiter without it (it reads the job instead).
    @Test func onlyAnEndedJobOfTheTopicIsCarried() async {
        let feed = JobChangeFeed()
        var ended = job()
        ended.finish(sum: 17, now: ended.createdAt, ttl: .seconds(60))
        let running = job()
        for (topic, carried, expected) in [
            (ended.id, ended, Optional(ended)), (UUID(), ended, nil), (running.id, running, nil),
        ] {
            let waiter = feed.subscribe(.job(topic))
            feed.publish(.job(topic), job: carried)
            #expect(await waiter.wait(timeout: .seconds(10)) == expected)
        }
    }

    /// A handed job wakes the worker with the job; a worker that stopped waiting first (it is
    /// stopping) refuses it, so the caller gives the job back to the queue.
    @Test func aHandedJobReachesAWaitingWorkerOnly() async {
        let feed = JobChangeFeed()
        let waiting = feed.subscribe(.queue, worker: "w-0")
        let handed = job()
        #expect(feed.reserveIdleWorker()?.hand(handed) == true)
        #expect(await waiting.wait(timeout: .seconds(10)) == handed)

        let stopping = feed.subscribe(.queue, worker: "w-1")
        let idle = feed.reserveIdleWorker()
        stopping.cancel()
        #expect(idle?.hand(job()) == false)
    }

    /// A reserved worker whose idle poll comes while its job is being stored waits for the
    /// job rather than refuse it: refused, the job would go back to the queue, and its client,
    /// answered IN_PROGRESS, would then see it QUEUED (scripts/nemesis found it under load).
    @Test func aReservedWorkerWaitsPastItsIdlePollForItsJob() async throws {
        let feed = JobChangeFeed()
        let polling = feed.subscribe(.queue, worker: "w-0")
        let idle = try #require(feed.reserveIdleWorker())
        let handed = job()
        async let woken = polling.wait(timeout: .milliseconds(10))
        try await Task.sleep(for: .milliseconds(300))
        #expect(idle.hand(handed))
        #expect(await woken == handed)
    }

    /// Released after its idle poll came, a reserved worker wakes, as the poll would have woken
    /// it, and is no longer among the waiters; released before, it waits on.
    @Test func aReservedWorkerReleasedAfterItsIdlePollWakes() async throws {
        let feed = JobChangeFeed()
        let polling = feed.subscribe(.queue, worker: "w-0")
        let idle = try #require(feed.reserveIdleWorker())
        async let woken = polling.wait(timeout: .milliseconds(10))
        try await Task.sleep(for: .milliseconds(300))
        idle.release()
        #expect(await woken == nil)
        #expect(feed.subscriberCount == 0)

        let waiting = feed.subscribe(.queue, worker: "w-1")
        feed.reserveIdleWorker()?.release()
        #expect(feed.subscriberCount == 1)
        waiting.cancel()
    }

    /// A job submitted on a replica whose worker waits is stored already claimed by it and
    /// computed without a claim.
    @Test func aJobSubmittedToAnIdleWorkerCostsNoClaim() async throws {
        let store = InstrumentedJobStore()
        let workers = startedPool(on: store, workers: 2)
        defer { workers.cancel() }
        try await untilWaiting(2, on: store)
        #expect(store.count(of: .claim) == 2)
        for index in 0..<50 {
            let now = Date()
            let job = Job(a: 1, b: UInt64(10 + index), createdAt: now, expiresAt: now.addingTimeInterval(600))
            let done = store.changes.subscribe(.job(job.id))
            let accepted = try await store.submit(
                job, toIdleWorkerWithLease: .seconds(15), ttl: .seconds(600))
            #expect(accepted.job.status == .inProgress && accepted.job.leaseOwner != nil)
            let finished = await done.wait(timeout: .seconds(30))
            #expect(
                finished?.status == .finished && finished?.sum == UInt128(job.b) && finished?.attempts == 1)
            try await untilWaiting(2, on: store)
        }
        #expect(store.count(of: .claim) == 2)
    }

    /// The worker a job was stored for stopped waiting before it was handed the job: the job
    /// goes back to the queue at once (not after its lease) for a claim.
    @Test func aJobWhoseWorkerStoppedWaitingIsHandedBack() async throws {
        let store = InstrumentedJobStore()
        let waiting = store.changes.subscribe(.queue, worker: "stopping")
        // It stops waiting (its idle poll came) while the job is being stored for it.
        store.before(.submit) { _ in waiting.cancel() }
        let job = job()
        let accepted = try await store.submit(job, toIdleWorkerWithLease: .seconds(15), ttl: .seconds(600))
        #expect(accepted.job.leaseOwner == "stopping")
        let stored = try #require(try await store.job(id: job.id))
        #expect(stored.status == .queued && stored.attempts == 0 && stored.leaseOwner == nil)
        #expect(try await store.claimNext(worker: "other", lease: .seconds(15))?.id == job.id)
    }
}

/// A backlog is claimed for every idle worker of a pool in one round trip.
@Suite struct ClaimForIdleWorkersTests {
    /// One wake-up for a backlog wakes one worker, and it stays the one that tells the others.
    @Test func aBacklogWakesTheOldestWorkerOnceOrIsHeld() async {
        let feed = JobChangeFeed()
        let oldest = feed.subscribe(.queue, worker: "w-0")
        let younger = feed.subscribe(.queue, worker: "w-1")
        feed.signalBacklog()
        await oldest.wait(timeout: .seconds(10))
        #expect(oldest.mayFindBacklog)
        #expect(feed.subscriberCount == 1)
        younger.cancel()
        feed.signalBacklog()
        let next = feed.subscribe(.queue, worker: "w-2")
        let started = ContinuousClock.now
        await next.wait(timeout: .seconds(10))
        #expect(next.mayFindBacklog && ContinuousClock.now - started < .seconds(5))
    }

    /// Three jobs requeued together (their worker died) wake one of three idle workers, whose
    /// one claim takes a job for each of them: four claims in all (that one and each worker's
    /// look for more after its job), where each worker claiming its own took six, and one
    /// worker followed the backlog alone.
    @Test func aBacklogIsClaimedForEveryIdleWorkerInOneRoundTrip() async throws {
        let store = InstrumentedJobStore()
        let computedBy = Mutex<[String]>([])
        let pool = WorkerPool(
            store: store, configuration: .init(workers: 3, idlePollInterval: .seconds(3_600)),
            logger: Logger(label: "test")
        ) { job, _ in
            computedBy.withLock { $0.append(job.leaseOwner ?? "") }
            return .finished(UInt128(job.b))
        }
        let workers = Task { try await pool.run() }
        defer { workers.cancel() }
        try await untilWaiting(3, on: store)
        let before = store.count(of: .claim)
        #expect(before == 3)
        // Stored as held by a worker that died: no wake-up until the lapse is requeued.
        let now = Date()
        var jobs: [Job] = []
        for index in 0..<3 {
            var job = Job(
                a: 1, b: UInt64(10 + index), createdAt: now.addingTimeInterval(Double(index)),
                expiresAt: now.addingTimeInterval(600))
            job.claim(by: "dead", lease: .milliseconds(1), now: now)
            jobs.append(try await store.submit(job).job)
        }
        #expect(try await store.requeueLapsed(now: now.addingTimeInterval(60), maxAttempts: 3).count == 3)
        for job in jobs {
            var finished = try await store.base.job(id: job.id)
            for _ in 0..<3_000 where finished?.status != .finished {
                try await Task.sleep(for: .milliseconds(10))
                finished = try await store.base.job(id: job.id)
            }
            #expect(
                finished?.status == .finished && finished?.sum == UInt128(job.b) && finished?.attempts == 2)
        }
        #expect(Set(computedBy.withLock { $0 }).count == 3)
        try await untilWaiting(3, on: store)
        #expect(store.count(of: .claim) == before + 4)
    }
}

/// Returns once `count` waiters (idle workers) are subscribed to `store`'s changes, or after
/// ten seconds.
func untilWaiting(_ count: Int, on store: any JobStore) async throws {
    for _ in 0..<1_000 where store.changes.subscriberCount < count {
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// A pool of `workers` on `store`, each summing a job as its `b`, whose idle workers poll the
/// store only hourly (so a lost wake-up shows), running until the task is cancelled.
func startedPool(on store: any JobStore, workers: Int) -> Task<Void, any Error> {
    let pool = WorkerPool(
        store: store, configuration: .init(workers: workers, idlePollInterval: .seconds(3_600)),
        logger: Logger(label: "test")
    ) { job, _ in .finished(UInt128(job.b)) }
    return Task { try await pool.run() }
}
