import Foundation
import PrimeSumJobs
import PrimeSumRedis
import PrimeSumRedisClient
import Testing

/// What the contract suite cannot see from outside the store: the keys the Redis store leaves,
/// Redis's own expiry, and a Redis that forgot the scripts.
@Suite(.enabled(if: RedisFixture.url != nil, RedisFixture.skipReason))
struct RedisJobStoreTests {
    let prefix = RedisFixture.prefix()

    func store() async throws -> RedisJobStore {
        let store = try RedisFixture.makeStore(prefix: prefix)
        try await Backend.untilReady(store)
        return store
    }

    func keys(_ admin: RedisConnectionPool) async throws -> [String] {
        try await admin.run("KEYS", "\(prefix):*").array?.compactMap(\.string).sorted() ?? []
    }

    /// Claiming in the script sets exactly what `Job.claim` sets, on Redis's own clock: the
    /// lease runs from Redis's `TIME`, and a job created ahead of that clock (by a replica whose
    /// clock runs ahead) starts when it was created, not before.
    @Test(arguments: [-5.0, 5.0])
    func theClaimScriptIsJobClaim(createdAhead: TimeInterval) async throws {
        let store = try await store()
        let created = store.clock.now().addingTimeInterval(createdAhead)
        let id = try await store.submit(
            Job(a: 3, b: 30, createdAt: created, expiresAt: created.addingTimeInterval(60))
        ).job.id
        let job = try #require(try await store.job(id: id))  // to the millisecond, as Redis keeps it
        let before = store.clock.now()
        let claimed = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        let after = store.clock.now()
        let leaseStart = try #require(claimed.leaseExpiresAt).addingTimeInterval(-15)
        // Redis's clock, to the millisecond, as this replica's estimate of it reads it.
        let slack = 0.002 + store.clock.uncertainty
        #expect(
            leaseStart >= before.addingTimeInterval(-slack) && leaseStart <= after.addingTimeInterval(slack))
        var expected = job
        expected.claim(by: "w", lease: .seconds(15), now: leaseStart)
        expected.version += 1
        #expect(claimed == expected)
        #expect(try #require(claimed.startedAt) >= job.createdAt)
    }

    /// A job's whole life, idempotency key and result included, then the sweep at its expiry:
    /// nothing of it is left in Redis.
    @Test func anExpiredJobLeavesNoKeyBehind() async throws {
        let store = try await store()
        let admin = RedisConnectionPool(url: try RedisFixture.url(prefix: prefix))
        defer { admin.close() }
        let now = Date().addingTimeInterval(3_600)
        let job = Job(
            a: 5, b: 50, createdAt: now, expiresAt: now.addingTimeInterval(60), idempotencyKey: "k:1",
            owner: "o")
        _ = try await store.submit(job)
        var claimed = try #require(
            try await store.claimNext(worker: "w", lease: .seconds(9)))
        claimed.finish(sum: 328, now: now, ttl: .seconds(60))
        _ = try #require(try await store.update(claimed))
        try await store.recordHeartbeat(replica: "r", document: "{}", until: now.addingTimeInterval(5))
        #expect(try await keys(admin).count >= 4)
        #expect(try await store.deleteExpired(now: now.addingTimeInterval(61)) == 1)
        let left = try await keys(admin)
        #expect(left == [], "left behind: \(left)")
    }

    /// Redis expires a terminal job by itself, cleaner or not: the seed's ttl. A job cancelled
    /// with a minute to live carries that expiry on its hash and its idempotency key; one whose
    /// expiry has come goes away with no sweep.
    @Test func redisExpiresTerminalJobsItself() async throws {
        let store = try await store()
        let admin = RedisConnectionPool(url: try RedisFixture.url(prefix: prefix))
        defer { admin.close() }
        func cancelled(ttl: Duration, key: String) async throws -> Job {
            let now = Date()
            var job = try await store.submit(
                Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(60), idempotencyKey: key)
            ).job
            job.cancel(now: now, ttl: ttl)
            return try #require(try await store.update(job))
        }
        let lasting = try await cancelled(ttl: .seconds(60), key: "lasting")
        for key in ["\(prefix):job:\(lasting.id.uuidString.lowercased())", "\(prefix):idem:0::lasting"] {
            let expiresAt = try #require(try await admin.run("PEXPIRETIME", key).integer)
            #expect(expiresAt == lasting.expiresAt.epochMilliseconds, "\(key)")
        }
        let brief = try await cancelled(ttl: .milliseconds(1), key: "brief")
        let deadline = ContinuousClock.now + .seconds(30)
        while try await store.job(id: brief.id) != nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await store.job(id: brief.id) == nil)
        // Its idempotency key went with it: the key is free again.
        let again = Job(
            a: 1, b: 10, createdAt: brief.createdAt, expiresAt: brief.expiresAt, idempotencyKey: "brief")
        #expect(try await store.submit(again) == .accepted(again))
        #expect(try await store.job(id: lasting.id)?.status == .cancelled)
    }

    /// A job answered from another owner's result is stored finished as a terminal job is: out
    /// of the queue, in the expiry sweep, and expiring by itself with its idempotency key.
    @Test func anAnsweredJobExpiresLikeAnyFinishedJob() async throws {
        let store = try await store()
        let admin = RedisConnectionPool(url: try RedisFixture.url(prefix: prefix))
        defer { admin.close() }
        let now = Date(epochMilliseconds: Date().epochMilliseconds)  // as Redis keeps it
        _ = try await store.submit(Job(a: 1, b: 10, createdAt: now, expiresAt: now, owner: "alice"))
        let claimed = try #require(try await store.claimNext(worker: "w", lease: .seconds(10)))
        _ = try await store.complete([Completion(claimed, .finished(17))], ttl: .seconds(60))
        let later = now.addingTimeInterval(1)
        let job = Job(
            a: 1, b: 10, createdAt: later, expiresAt: later.addingTimeInterval(30), idempotencyKey: "k",
            owner: "bob")
        #expect(try await store.submit(job) == .answered(job.answered(sum: 17)))
        let member = job.id.uuidString.lowercased()
        #expect(try await admin.run("ZSCORE", "\(prefix):queue", member).string == nil)
        #expect(
            try await admin.run("ZSCORE", "\(prefix):expiry", member).string.flatMap(Double.init)
                == Double(job.expiresAt.epochMilliseconds))
        for key in ["\(prefix):job:\(member)", "\(prefix):idem:3:bob:k"] {
            let expiresAt = try #require(try await admin.run("PEXPIRETIME", key).integer)
            #expect(expiresAt == job.expiresAt.epochMilliseconds, "\(key)")
        }
    }

    /// A restarted Redis has an empty script cache: the store loads the scripts again.
    @Test func scriptsAreLoadedAgainAfterRedisForgetsThem() async throws {
        let store = try await store()
        let admin = RedisConnectionPool(url: try RedisFixture.url(prefix: prefix))
        defer { admin.close() }
        try await admin.run("SCRIPT", "FLUSH")
        let now = Date()
        let job = try await store.submit(
            Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(60))
        ).job
        #expect(
            try await store.claimNext(worker: "w", lease: .seconds(10))?.id
                == job.id)
    }
}

@Suite struct RedisDurabilityWarningTests {
    /// The settings that can lose accepted jobs are named at start; the recommended ones are not.
    @Test func settingsThatLoseJobsAreNamed() {
        func levels(_ settings: [String: String]) -> [String] {
            RedisJobStore.durabilityWarnings(settings).map { "\($0.0)" }
        }
        #expect(
            levels(["appendonly": "yes", "appendfsync": "always", "maxmemory-policy": "noeviction"]) == [])
        #expect(levels(["appendonly": "no", "appendfsync": "everysec"]) == ["warning"])
        #expect(levels(["appendonly": "yes", "appendfsync": "everysec"]) == ["notice"])
        #expect(
            levels(["appendonly": "yes", "appendfsync": "always", "maxmemory-policy": "allkeys-lru"]) == [
                "warning"
            ])
        #expect(
            levels(["appendonly": "yes", "appendfsync": "always", "maxmemory-policy": "volatile-ttl"]) == [])
    }
}
