import Foundation
import Logging
import PrimeSumCouchDB
import PrimeSumJobs
import PrimeSumPostgres
import PrimeSumSQLite
import Testing

/// The contract every store backend passes; add a backend to `Backend.all` to run it there too
/// (and the contract over TLS: `Backend.contract`).
struct Backend: CustomTestStringConvertible, Sendable {
    let name: String
    /// Whether the store is a server that replicas share, and so reads the server's clock
    /// rather than this replica's (`StoreClock`).
    var isShared = false
    /// Whether the notification of a job's end carries the job to the other replicas.
    var carriesEndedJobs = false
    /// A store on `place` (a database, schema, key prefix or file of its own; stores made on
    /// the same place share their jobs, as replicas do) reading `clock`.
    let make: @Sendable (_ place: String, _ clock: StoreClock) throws -> any CompareAndSwapJobStore
    var testDescription: String { name }

    /// A new, empty store that answers requests.
    func ready() async throws -> any CompareAndSwapJobStore {
        try await ready(place: "test_\(UUID().uuidString.prefix(8).lowercased())", clock: StoreClock())
    }

    /// A store on `place`, reading `clock`, once it answers requests.
    func ready(place: String, clock: StoreClock) async throws -> any CompareAndSwapJobStore {
        let store = try make(place, clock)
        try await Self.untilReady(store)
        return store
    }

    /// Waits until a store that starts in the background (set-up, migrations) answers.
    static func untilReady(_ store: any JobStore) async throws {
        for _ in 0..<600 {
            if (try? await store.ping()) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await store.ping()
    }

    static let all: [Backend] =
        [
            // One process, one store: every `place` is a new one.
            Backend(name: "memory") { _, clock in MemoryJobStore(clock: clock) },
            Backend(name: "sqlite") { place, clock in
                let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "primesum-\(place).sqlite"
                ).path
                return try SQLiteJobStore(path: path, clock: clock)
            },
        ]
        + (PostgresFixture.url == nil
            ? []
            : [
                Backend(name: "postgres", isShared: true, carriesEndedJobs: true) {
                    try PostgresFixture.makeStore(schema: $0, clock: $1)
                }
            ])
        + (RedisFixture.url == nil
            ? []
            : [
                Backend(name: "redis", isShared: true, carriesEndedJobs: true) {
                    try RedisFixture.makeStore(prefix: $0, clock: $1)
                }
            ])
        + (CouchDBFixture.url == nil
            ? []
            : [
                Backend(name: "couchdb", isShared: true, carriesEndedJobs: true) {
                    try CouchDBFixture.makeStore(database: $0, clock: $1)
                }
            ])

    /// The backends the contract suites run on: `all`, or with `PRIMESUM_TEST_OVER_TLS` set,
    /// the shared stores' kinds over TLS, each verifying its server's certificate and name
    /// (`scripts/test` runs the TLS suites on their own, after the rest: all at once, two cores
    /// fell so far behind that timed tests failed).
    static let contract: [Backend] = TLSFixture.overTLS ? overTLS : all

    private static let overTLS: [Backend] =
        (TLSFixture.postgres.map { base in
            [
                Backend(name: "postgres over TLS", isShared: true, carriesEndedJobs: true) {
                    try PostgresFixture.makeStore(base: base, schema: $0, clock: $1)
                }
            ]
        } ?? [])
        + (TLSFixture.redis.map { base in
            [
                Backend(name: "redis over TLS", isShared: true, carriesEndedJobs: true) {
                    try RedisFixture.makeStore(base: base, prefix: $0, clock: $1)
                }
            ]
        } ?? [])
        + (TLSFixture.couchDB.map { base in
            [
                Backend(name: "couchdb over TLS", isShared: true, carriesEndedJobs: true) {
                    try CouchDBFixture.makeStore(base: base, database: $0, clock: $1)
                }
            ]
        } ?? [])
}

extension Backend {
    /// The backends that several replicas share (PostgreSQL, Redis, CouchDB).
    static var shared: [Backend] { all.filter(\.isShared) }
    static let noSharedStore: Comment = "no shared store (PostgreSQL, Redis, CouchDB) is configured"
}

@Suite struct JobStoreContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func queued(_ a: UInt64 = 1, _ b: UInt64 = 10, offset: TimeInterval = 0, key: String? = nil) -> Job {
        Job(
            a: a, b: b, createdAt: now.addingTimeInterval(offset), expiresAt: now.addingTimeInterval(600),
            idempotencyKey: key)
    }

    @Test(arguments: Backend.contract)
    func createThenGetRoundTripsEveryField(_ backend: Backend) async throws {
        let store = try await backend.ready()
        var job = queued(UInt64.max - 100, UInt64.max, key: "k")
        job.sum = UInt128.max / 3
        job.worker = "replica-7"
        job.traceContext =
            "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\ntracestate: vendor=opaque,other=1"
        #expect(try await store.submit(job) == .accepted(job))
        #expect(try await store.job(id: job.id) == job)
        #expect(try await store.job(id: UUID()) == nil)
    }

    @Test(arguments: Backend.contract)
    func idempotencyKeyReturnsTheFirstJob(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let first = queued(key: "same")
        #expect(try await store.submit(first) == .accepted(first))
        #expect(try await store.submit(queued(2, 20, key: "same")) == .duplicate(first))
        // Even when it may not be queued, and even once its range has a result.
        #expect(try await store.submit(queued(key: "same"), queueing: false) == .duplicate(first))
        var otherOwner = queued(key: "same")
        otherOwner.owner = "someone else"
        #expect(try await store.submit(otherOwner) == .accepted(otherOwner))
        #expect(try await store.queuedCount() == 2)
    }

    /// A range with an unexpired result is answered from it: the owner's own job as it is, or
    /// for another owner a finished job of its own; neither is queued. A part is not answered.
    @Test(arguments: Backend.contract)
    func aFinishedRangeIsAnsweredFromItsResult(_ backend: Backend) async throws {
        let store = try await backend.ready()
        func submitted(at time: Date, owner: String?, key: String? = nil) -> Job {
            Job(
                a: 3, b: 30, createdAt: time, expiresAt: time.addingTimeInterval(600), idempotencyKey: key,
                owner: owner)
        }
        _ = try await store.submit(submitted(at: store.clock.now(), owner: "alice"))
        let claimed = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        let result = try await store.complete([Completion(claimed, .finished(112))], ttl: .seconds(600))
        let finished = try #require(result.first?.job)
        let finishedAt = try #require(finished.finishedAt)
        #expect(finished.status == .finished)

        let later = finishedAt.addingTimeInterval(1)
        #expect(try await store.submit(submitted(at: later, owner: "alice")) == .answered(finished))
        let other = submitted(at: later, owner: "bob", key: "bob's")
        let answered = try await store.submit(other).job
        #expect(answered.id == other.id && answered.owner == "bob" && answered.idempotencyKey == "bob's")
        #expect(answered.status == .finished && answered.sum == 112 && answered.progress == 1)
        #expect(answered.startedAt == other.createdAt && answered.finishedAt == other.createdAt)
        #expect(answered.expiresAt == other.expiresAt)
        #expect(try await store.submit(other) == .duplicate(answered))
        #expect(try await store.job(id: other.id) == answered)
        #expect(try await store.queuedCount() == 0)

        // A job submitted already claimed by an idle worker is answered unclaimed.
        var claimedAtSubmit = submitted(at: later, owner: "carol")
        claimedAtSubmit.claim(by: "idle", lease: .seconds(15), now: later)
        let unclaimed = try await store.submit(claimedAtSubmit).job
        #expect(unclaimed.status == .finished && unclaimed.attempts == 0 && unclaimed.leaseOwner == nil)
        #expect(unclaimed.leaseExpiresAt == nil && unclaimed.sum == 112)
        #expect(try await store.job(id: claimedAtSubmit.id) == unclaimed)
        let part = Job.part(
            of: submitted(at: later, owner: nil), index: 0, plan: JobPartPlan(3..<30), now: later)
        #expect(try await store.submit(part) == .accepted(part))
        #expect(try await store.queuedCount() == 1)
    }

    /// A job submitted already claimed (by an idle worker of the submitting replica) is held
    /// under that lease from the start: no claim takes it, it is renewed like a claimed job,
    /// and once its lease lapses it is requeued and its first worker's completion refused.
    @Test(arguments: Backend.contract)
    func aJobSubmittedClaimedIsHeldUnderItsLease(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let now = store.clock.now()
        var job = Job(a: 6, b: 60, createdAt: now, expiresAt: now.addingTimeInterval(600))
        job.claim(by: "idle", lease: .seconds(15), now: now)
        #expect(try await store.submit(job) == .accepted(job))
        #expect(try await store.claimNext(worker: "other", lease: .seconds(15)) == nil)
        #expect(try await store.queuedCount() == 0)
        let lease = try #require(job.lease)
        #expect(
            try await store.renewLeases([LeaseRenewal(lease, progress: 0.5)], lease: .seconds(15)).isEmpty)
        let moved = try await store.requeueLapsed(now: now.addingTimeInterval(3_600), maxAttempts: 3)
        #expect(moved.map(\.id) == [job.id] && moved.first?.status == .queued)
        let claimed = try #require(try await store.claimNext(worker: "other", lease: .seconds(15)))
        #expect(claimed.id == job.id && claimed.attempts == 2)
        #expect(
            try await store.complete([Completion(job, .finished(1))], ttl: .seconds(600)).first?.job == nil)
    }

    @Test(arguments: Backend.contract)
    func aJobThatMayNotBeQueuedIsStoredOnlyAsAnAnswer(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let job = queued(4, 40, key: "refused")
        #expect(try await store.submit(job, queueing: false) == nil)
        #expect(try await store.job(id: job.id) == nil)
        #expect(try await store.queuedCount() == 0)
        // Its key was not taken either.
        #expect(try await store.submit(job) == .accepted(job))
    }

    @Test(arguments: Backend.contract)
    func claimTakesTheOldestQueuedJobOnce(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let older = try await store.submit(queued(offset: 0)).job
        let newer = try await store.submit(queued(offset: 1)).job
        let lease = Duration.seconds(15)
        let first = try #require(try await store.claimNext(worker: "w1", lease: lease))
        #expect(
            first.id == older.id && first.status == .inProgress && first.attempts == 1
                && first.leaseOwner == "w1" && first.worker == "w1")
        #expect(first.version == older.version + 1)
        let second = try await store.claimNext(worker: "w2", lease: lease)
        #expect(second?.id == newer.id)
        #expect(try await store.claimNext(worker: "w3", lease: lease) == nil)
        #expect(try await store.queuedCount() == 0)
    }

    /// The queue's age reads the oldest QUEUED job, whole or part, and nothing else.
    @Test(arguments: Backend.contract)
    func theOldestQueuedJobDatesTheQueue(_ backend: Backend) async throws {
        let store = try await backend.ready()
        #expect(try await store.oldestQueuedAt() == nil)
        let older = try await store.submit(queued(1, 10, offset: -30)).job
        let newer = try await store.submit(queued(1, 20, offset: -10)).job
        #expect(try await store.oldestQueuedAt() == older.createdAt)
        let claimed = try #require(try await store.claimNext(worker: "w", lease: .seconds(60)))
        #expect(claimed.id == older.id)
        #expect(try await store.oldestQueuedAt() == newer.createdAt)
        #expect(try await store.claimNext(worker: "w", lease: .seconds(60))?.id == newer.id)
        #expect(try await store.oldestQueuedAt() == nil)
        // Parts count too.
        _ = try #require(try await store.split(claimed, into: [1..<5, 5..<10], ttl: .seconds(600)))
        let parts = try await store.parts(of: claimed.id)
        #expect(parts.count == 2)
        #expect(try await store.oldestQueuedAt() == parts.map(\.createdAt).min())
    }

    @Test(arguments: Backend.contract)
    func updateIsACompareAndSwap(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let job = try await store.submit(queued()).job
        var cancelled = job
        cancelled.cancel(now: now, ttl: .seconds(600))
        let stored = try #require(try await store.update(cancelled))
        #expect(stored.version == job.version + 1 && stored.status == .cancelled)
        var stale = job
        stale.progress = 0.5
        #expect(try await store.update(stale) == nil)
        #expect(try await store.job(id: job.id)?.status == .cancelled)
    }

    @Test(arguments: Backend.contract)
    func concurrentClaimsNeverShareAJob(_ backend: Backend) async throws {
        let store = try await backend.ready()
        for index in 0..<200 { _ = try await store.submit(queued(offset: Double(index))) }
        let claimed = await withTaskGroup(of: [UUID].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var mine: [UUID] = []
                    while let job = try? await store.claimNext(
                        worker: "w\(worker)", lease: .seconds(60))
                    {
                        mine.append(job.id)
                    }
                    return mine
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == 200 && Set(claimed).count == 200)
    }

    @Test(arguments: Backend.contract)
    func lapsedLeasesAreRequeuedThenFailed(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let job = try await store.submit(queued()).job
        for attempt in 1...2 {
            _ = try await store.claimNext(worker: "w", lease: .seconds(1))
            #expect(try await store.requeueLapsed(now: now.addingTimeInterval(2), maxAttempts: 2).count == 1)
            let status = try await store.job(id: job.id)?.status
            #expect(status == (attempt < 2 ? .queued : .failed))
        }
        #expect(try await store.job(id: job.id)?.failure?.code == "attempts_exhausted")
    }

    @Test(arguments: Backend.contract)
    func finishedResultsAnswerTheirRangeUntilTheyExpire(_ backend: Backend) async throws {
        let store = try await backend.ready()
        _ = try await store.submit(queued(5, 50))
        let claimed = try #require(try await store.claimNext(worker: "w", lease: .seconds(10)))
        let job = try #require(
            try await store.complete([Completion(claimed, .finished(328))], ttl: .seconds(60))[0].job)
        let now = try #require(job.finishedAt)
        #expect(job.expiresAt == now.addingTimeInterval(60))
        func answer(_ b: UInt64, at time: Date) async throws -> Submission? {
            try await store.submit(Job(a: 5, b: b, createdAt: time, expiresAt: time), queueing: false)
        }
        #expect(try await answer(50, at: now) == .answered(job))
        #expect(try await answer(51, at: now) == nil)
        #expect(try await answer(50, at: now.addingTimeInterval(61)) == nil)
        #expect(try await store.deleteExpired(now: now.addingTimeInterval(30)) == 0)
        #expect(try await store.deleteExpired(now: now.addingTimeInterval(61)) == 1)
        #expect(try await store.job(id: job.id) == nil)
    }

    @Test(arguments: Backend.contract)
    func aCompletionIsRefusedOnceItsLeaseWasTakenOver(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let job = try await store.submit(queued()).job
        // The worker pauses past its lease; the job is requeued and claimed again by a worker
        // of the same name: only the attempt number tells the two claims apart.
        let stale = try #require(try await store.claimNext(worker: "w", lease: .seconds(1)))
        #expect(
            try await store.requeueLapsed(now: store.clock.now().addingTimeInterval(2), maxAttempts: 3).count
                == 1)
        let current = try #require(try await store.claimNext(worker: "w", lease: .seconds(60)))
        #expect(current.id == job.id && current.attempts == 2)
        let refused = try await store.complete([Completion(stale, .finished(1))], ttl: .seconds(60))
        #expect(refused == [CompletionResult(job: nil)])
        #expect(
            try await store.renewLeases(
                [LeaseRenewal(try #require(stale.lease), progress: 0.9)], lease: .seconds(60)) == [job.id])
        let stored = try #require(try await store.job(id: job.id))
        #expect(
            stored.status == .inProgress && stored.sum == nil && stored.progress == 0 && stored.attempts == 2)
        let finished = try await store.complete([Completion(current, .finished(17))], ttl: .seconds(60))
        #expect(finished[0].job?.status == .finished && finished[0].job?.sum == 17)
        // The worker that ran it stays named once its lease is gone.
        #expect(finished[0].job?.leaseOwner == nil && finished[0].job?.worker == "w")
        #expect(finished[0].job?.version == stored.version + 1)
        #expect(try await store.job(id: job.id) == finished[0].job)
        // Completing twice is refused too: the job is no longer held by anyone.
        #expect(
            try await store.complete(
                [Completion(current, .failed(.init(code: "x", message: "y")))], ttl: .seconds(60))[0].job
                == nil)
    }

    /// Many completions in one call (one statement on PostgreSQL): each is fenced on its own
    /// lease and answered in its place, the held ones written with every field, a stale one and
    /// a second completion of the same job refused.
    @Test(arguments: Backend.contract)
    func aBatchOfCompletionsIsFencedOneByOne(_ backend: Backend) async throws {
        let store = try await backend.ready()
        var claimed: [Job] = []
        for index in 0..<4 {
            _ = try await store.submit(queued(1, 10 + UInt64(index), offset: Double(index)))
            claimed.append(try #require(try await store.claimNext(worker: "w\(index)", lease: .seconds(60))))
        }
        var stale = claimed[2]
        stale.attempts = 7
        let failure = JobFailure(code: "computation_failed", message: "it broke")
        let results = try await store.complete(
            [
                Completion(claimed[0], .finished(UInt128.max - 1)), Completion(stale, .finished(5)),
                Completion(claimed[1], .failed(failure)), Completion(claimed[3], .handedBack),
                Completion(claimed[0], .finished(3)),
            ], ttl: .seconds(60))
        #expect(results.count == 5)
        #expect(results[0].job?.status == .finished && results[0].job?.sum == UInt128.max - 1)
        #expect(results[1].job == nil)
        #expect(results[2].job?.status == .failed && results[2].job?.failure == failure)
        #expect(results[3].job?.status == .queued && results[3].job?.lease == nil)
        #expect(results[4].job == nil, "a job completed twice in one call")
        for (index, result) in results.enumerated() where index != 1 && index != 4 {
            #expect(try await store.job(id: try #require(result.job?.id)) == result.job)
        }
        #expect(try await store.job(id: claimed[2].id)?.status == .inProgress)
    }

    @Test(arguments: Backend.contract)
    func aRenewalWritesOnlyTheLeaseAndProgress(_ backend: Backend) async throws {
        let store = try await backend.ready()
        _ = try await store.submit(queued())
        let claimed = try #require(try await store.claimNext(worker: "w", lease: .seconds(5)))
        let lease = try #require(claimed.lease)
        let lost = try await store.renewLeases([LeaseRenewal(lease, progress: 0.25)], lease: .seconds(600))
        #expect(lost.isEmpty)
        let renewed = try #require(try await store.job(id: claimed.id))
        #expect(renewed.progress == 0.25 && renewed.version == claimed.version)
        #expect(try #require(renewed.leaseExpiresAt) > claimed.leaseExpiresAt!.addingTimeInterval(500))
        // The renewed lease holds off the lapse sweep; the completion still applies.
        #expect(
            try await store.requeueLapsed(now: store.clock.now().addingTimeInterval(60), maxAttempts: 3)
                .isEmpty)
        let handedBack = try await store.complete([Completion(claimed, .handedBack)], ttl: .seconds(60))
        #expect(handedBack[0].job?.status == .queued && handedBack[0].job?.attempts == 0)
        #expect(
            try await store.renewLeases([LeaseRenewal(lease, progress: 0.5)], lease: .seconds(60)) == [
                claimed.id
            ])
        #expect(try await store.claimNext(worker: "w2", lease: .seconds(5))?.id == claimed.id)
    }

    @Test(arguments: Backend.contract)
    func cancelEndsOnlyAJobThatHasNotEnded(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let queuedJob = try await store.submit(queued()).job
        let cancelled = try #require(try await store.cancel(id: queuedJob.id, ttl: .seconds(60)))
        #expect(cancelled.status == .cancelled && cancelled.version == queuedJob.version + 1)
        #expect(try await store.cancel(id: queuedJob.id, ttl: .seconds(60)) == cancelled)
        #expect(try await store.queuedCount() == 0)
        // A running job: its worker's completion is refused afterwards.
        _ = try await store.submit(queued(2, 20))
        let running = try #require(try await store.claimNext(worker: "w", lease: .seconds(60)))
        #expect(try await store.cancel(id: running.id, ttl: .seconds(60))?.status == .cancelled)
        #expect(
            try await store.complete([Completion(running, .finished(77))], ttl: .seconds(60))[0].job == nil)
        #expect(try await store.job(id: running.id)?.status == .cancelled)
        // A finished job stays finished.
        _ = try await store.submit(queued(3, 30))
        let claimed = try #require(try await store.claimNext(worker: "w", lease: .seconds(60)))
        let finished = try #require(
            try await store.complete([Completion(claimed, .finished(5))], ttl: .seconds(60))[0].job)
        #expect(try await store.cancel(id: claimed.id, ttl: .seconds(60)) == finished)
        #expect(try await store.cancel(id: UUID(), ttl: .seconds(60)) == nil)
    }

    @Test(arguments: Backend.contract)
    func queuedJobsNeverExpire(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let job = try await store.submit(queued()).job
        #expect(try await store.deleteExpired(now: now.addingTimeInterval(10_000)) == 0)
        #expect(try await store.job(id: job.id) != nil)
    }

    @Test(arguments: Backend.contract)
    func oneCleanerLeaseHolderAtATime(_ backend: Backend) async throws {
        let store = try #require(try await backend.ready() as? any CleanerLeaseStore)
        #expect(
            try await store.acquireCleanerLease(holder: "r1", until: now.addingTimeInterval(10), now: now))
        #expect(
            try await !store.acquireCleanerLease(holder: "r2", until: now.addingTimeInterval(10), now: now))
        #expect(
            try await store.acquireCleanerLease(holder: "r1", until: now.addingTimeInterval(20), now: now))
        #expect(
            try await store.acquireCleanerLease(
                holder: "r2", until: now.addingTimeInterval(40), now: now.addingTimeInterval(21)))
    }

    @Test(arguments: Backend.contract)
    func heartbeatsAreReplacedListedUntilTheyLapseThenDeleted(_ backend: Backend) async throws {
        let jobs = try await backend.ready()
        let store = try #require(jobs as? any HeartbeatStore)
        let first = ReplicaHeartbeat(
            name: "replica-1", role: "all", workers: 2, version: "1.0.0", startedAt: now, seenAt: now)
        var later = first
        later.seenAt = now.addingTimeInterval(5)
        later.running = 1
        var window = ActivityWindow(start: 1_800_000_000)
        window.finished = 3
        window.latency.record(milliseconds: 2.5)
        later.activity = [window]
        let other = ReplicaHeartbeat(
            name: "replica-2", role: "worker", workers: 1, version: "1.0.0", startedAt: now, seenAt: now)
        try await store.record(first, until: now.addingTimeInterval(10))
        try await store.record(later, until: now.addingTimeInterval(15))
        try await store.record(other, until: now.addingTimeInterval(8))
        #expect(try await store.replicas(now: now) == [later, other])
        #expect(try await store.replicas(now: now.addingTimeInterval(9)) == [later])
        _ = try await jobs.deleteExpired(now: now.addingTimeInterval(9))
        // Deleted, not only hidden: listed again at an earlier instant, it is not there.
        #expect(try await store.heartbeats(now: now) == [later.encoded()])
    }

    @Test(arguments: Backend.contract)
    func writesWakeSubscribers(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let queue = store.changes.subscribe(.queue)
        let job = try await store.submit(queued()).job
        let queuedAt = ContinuousClock.now
        await queue.wait(timeout: .seconds(30))
        #expect(ContinuousClock.now - queuedAt < .seconds(30))
        let change = store.changes.subscribe(.job(job.id))
        _ = try await store.cancel(id: job.id, ttl: .seconds(1))
        let started = ContinuousClock.now
        await change.wait(timeout: .seconds(30))
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
