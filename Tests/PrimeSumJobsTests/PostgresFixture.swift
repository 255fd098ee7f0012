import Foundation
import Logging
import PrimeSumJobs
import PrimeSumPostgres
import Testing

/// The PostgreSQL that `scripts/test` starts (`PRIMESUM_TEST_POSTGRES_URL`). Each store gets a
/// schema of its own, so tests never see each other's jobs.
enum PostgresFixture {
    static let url = ProcessInfo.processInfo.environment["PRIMESUM_TEST_POSTGRES_URL"]
    static let skipReason: Comment =
        "PRIMESUM_TEST_POSTGRES_URL is not set: run scripts/test, which starts PostgreSQL"

    /// A running store on a fresh schema; it stays up for the rest of the test process.
    static func makeStore(poolSize: Int = 10, schema: String? = nil) throws -> PostgresJobStore {
        guard let url else { throw JobStoreError.invalidConfiguration("no test PostgreSQL") }
        let schema = schema ?? "test_\(UUID().uuidString.prefix(8).lowercased())"
        let store = PostgresJobStore(
            url: try PostgresStoreURL("\(url)?schema=\(schema)&pool=\(poolSize)"),
            logger: Logger(label: "test"))
        Task { try await store.run() }
        return store
    }

    /// Waits until the store has migrated and answers.
    static func ready(_ store: any JobStore) async throws {
        for _ in 0..<300 {
            if (try? await store.ping()) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await store.ping()
    }
}

@Suite struct PostgresAvailabilityTests {
    /// Reports, as a skip with its reason, when the PostgreSQL backend cannot be tested here.
    @Test(.enabled(if: PostgresFixture.url != nil, PostgresFixture.skipReason))
    func postgresIsReachable() async throws {
        try await PostgresFixture.ready(try PostgresFixture.makeStore())
    }

    /// Two replicas on one schema: a job finished through one wakes a waiter on the other
    /// (NOTIFY from the trigger, LISTEN in each store).
    @Test(.enabled(if: PostgresFixture.url != nil, PostgresFixture.skipReason))
    func aChangeOnOneReplicaWakesWaitersOnAnother() async throws {
        let schema = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let first = try PostgresFixture.makeStore(schema: schema)
        try await PostgresFixture.ready(first)
        let second = try PostgresFixture.makeStore(schema: schema)
        try await PostgresFixture.ready(second)
        try await Task.sleep(for: .milliseconds(300))  // both listeners attached

        let now = Date()
        let queued = second.changes.subscribe(.queue)
        let job = try await first.create(
            Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(60))
        ).job
        var started = ContinuousClock.now
        await queued.wait(timeout: .seconds(20))
        #expect(
            ContinuousClock.now - started < .seconds(10), "the other replica's idle workers were not woken")

        var claimed = try #require(
            try await first.claimNext(worker: "w", leaseUntil: now.addingTimeInterval(60), now: now))
        try await Task.sleep(for: .milliseconds(500))  // let the IN_PROGRESS notification pass
        let finished = second.changes.subscribe(.job(job.id))
        claimed.finish(sum: 17, now: Date(), ttl: .seconds(60))
        _ = try await first.update(claimed)
        started = ContinuousClock.now
        await finished.wait(timeout: .seconds(20))
        #expect(
            ContinuousClock.now - started < .seconds(10), "a long-poll on the other replica was not woken")
        #expect(try await second.job(id: job.id)?.status == .finished)
    }
}
