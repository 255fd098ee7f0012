import Foundation
import PrimeSumJobs
import Testing

/// A backend that several replicas share: each call makes one more replica's store on the
/// same namespace (a PostgreSQL schema, a Redis key prefix, a CouchDB database).
struct ReplicatedBackend: CustomTestStringConvertible, Sendable {
    let name: String
    let makeReplica: @Sendable (_ namespace: String) throws -> any JobStore
    var testDescription: String { name }

    static let all: [ReplicatedBackend] =
        (PostgresFixture.url == nil
            ? [] : [ReplicatedBackend(name: "postgres") { try PostgresFixture.makeStore(schema: $0) }])
        + (RedisFixture.url == nil
            ? [] : [ReplicatedBackend(name: "redis") { try RedisFixture.makeStore(prefix: $0) }])
        + (CouchDBFixture.url == nil
            ? [] : [ReplicatedBackend(name: "couchdb") { try CouchDBFixture.makeStore(database: $0) }])
}

@Suite struct ReplicaWakeUpTests {
    /// Two replicas on one namespace: a job queued through one wakes the other's idle workers,
    /// and a job finished through one wakes a `?wait=` long-poll on the other.
    @Test(
        .enabled(
            if: !ReplicatedBackend.all.isEmpty, "no shared store (PostgreSQL, Redis, CouchDB) is configured"),
        arguments: ReplicatedBackend.all)
    func aChangeOnOneReplicaWakesWaitersOnAnother(_ backend: ReplicatedBackend) async throws {
        let namespace = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let first = try backend.makeReplica(namespace)
        try await Backend.untilReady(first)
        let second = try backend.makeReplica(namespace)
        try await Backend.untilReady(second)
        try await Task.sleep(for: .milliseconds(300))  // both replicas follow the changes

        let now = Date()
        let queued = second.changes.subscribe(.queue)
        let job = try await first.create(
            Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(60))
        ).job
        var started = ContinuousClock.now
        await queued.wait(timeout: .seconds(20))
        #expect(
            ContinuousClock.now - started < .seconds(5), "the other replica's idle workers were not woken")

        var claimed = try #require(
            try await first.claimNext(worker: "w", leaseUntil: now.addingTimeInterval(60), now: now))
        try await Task.sleep(for: .milliseconds(500))  // let the IN_PROGRESS change pass
        let finished = second.changes.subscribe(.job(job.id))
        claimed.finish(sum: 17, now: Date(), ttl: .seconds(60))
        _ = try await first.update(claimed)
        started = ContinuousClock.now
        await finished.wait(timeout: .seconds(20))
        #expect(
            ContinuousClock.now - started < .seconds(5), "a long-poll on the other replica was not woken")
        #expect(try await second.job(id: job.id)?.status == .finished)
    }
}
