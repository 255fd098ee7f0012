import Foundation
import Logging
import PostgresNIO
import PrimeSumJobs
import PrimeSumPostgres
import Testing

/// A write the store reports as done must be committed. On PostgreSQL's extended protocol a
/// statement's rows and CommandComplete come back before its implicit transaction commits, so
/// a backend terminated in that gap (a fast or immediate shutdown) rolls back a write the
/// caller already saw succeed. These tests make the commit itself fail, through a deferred
/// constraint trigger that raises while a flag row exists, which is that gap made certain:
/// every write must then throw and leave nothing behind.
@Suite(.enabled(if: PostgresFixture.url != nil, PostgresFixture.skipReason))
struct PostgresCommitTests {
    let now = Date()

    /// A store on a fresh schema, and an admin connection that can make its commits fail.
    struct Fixture {
        let store: PostgresJobStore
        let admin: PostgresClient
        let schema: String

        init() async throws {
            schema = "test_\(UUID().uuidString.prefix(8).lowercased())"
            store = try PostgresFixture.makeStore(schema: schema)
            try await Backend.untilReady(store)
            let url = try PostgresStoreURL(PostgresFixture.url!)
            var configuration = PostgresClient.Configuration(
                host: url.host, port: url.port, username: url.username, password: url.password,
                database: url.database, tls: .disable)
            configuration.options.maximumConnections = 1
            admin = PostgresClient(configuration: configuration)
            let admin = admin
            Task { await admin.run() }
            for statement in [
                "CREATE TABLE \(schema).refuse_commits (reason text)",
                """
                CREATE FUNCTION \(schema).refuse_commit() RETURNS trigger AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM \(schema).refuse_commits) THEN
                        RAISE EXCEPTION 'commit refused by the test';
                    END IF;
                    RETURN NULL;
                END;
                $$ LANGUAGE plpgsql
                """,
                """
                CREATE CONSTRAINT TRIGGER jobs_refuse_commit AFTER INSERT OR UPDATE ON \(schema).jobs
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION \(schema).refuse_commit()
                """,
            ] {
                try await admin.query(PostgresQuery(unsafeSQL: statement), logger: Logger(label: "test"))
            }
        }

        /// From now on every commit that touches a job fails.
        func refuseCommits() async throws {
            try await admin.query(
                PostgresQuery(unsafeSQL: "INSERT INTO \(schema).refuse_commits VALUES ('test')"),
                logger: Logger(label: "test"))
        }
    }

    /// From now on commits succeed again.
    func allowCommits(_ fixture: Fixture) async throws {
        try await fixture.admin.query(
            PostgresQuery(unsafeSQL: "DELETE FROM \(fixture.schema).refuse_commits"),
            logger: Logger(label: "test"))
    }

    func queued(key: String? = nil) -> Job {
        Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(600), idempotencyKey: key)
    }

    @Test func aCreateWhoseCommitFailsThrowsAndStoresNothing() async throws {
        let fixture = try await Fixture()
        try await fixture.refuseCommits()
        let job = queued(key: "refused")
        await #expect(throws: JobStoreError.self) { try await fixture.store.submit(job) }
        #expect(try await fixture.store.job(id: job.id) == nil)
    }

    @Test func aCancelWhoseCommitFailsThrowsAndLeavesTheJobQueued() async throws {
        let fixture = try await Fixture()
        let stored = try await fixture.store.submit(queued()).job
        try await fixture.refuseCommits()
        await #expect(throws: JobStoreError.self) {
            try await fixture.store.cancel(id: stored.id, ttl: .seconds(600))
        }
        #expect(try await fixture.store.job(id: stored.id)?.status == .queued)
    }

    @Test func aCompletionWhoseCommitFailsThrowsAndLeavesTheJobRunning() async throws {
        let fixture = try await Fixture()
        _ = try await fixture.store.submit(queued())
        let claimed = try #require(try await fixture.store.claimNext(worker: "w", lease: .seconds(15)))
        try await fixture.refuseCommits()
        await #expect(throws: JobStoreError.self) {
            try await fixture.store.complete([Completion(claimed, .finished(17))], ttl: .seconds(600))
        }
        #expect(try await fixture.store.job(id: claimed.id)?.status == .inProgress)
    }

    /// A claim is autocommitted (one round trip): when its commit fails, the worker may hold a
    /// claim that never landed, but the job is still QUEUED and that worker's completion is
    /// refused, so no result is written twice.
    @Test func aClaimWhoseCommitFailsLeavesTheJobQueuedAndItsCompletionIsRefused() async throws {
        let fixture = try await Fixture()
        let stored = try await fixture.store.submit(queued()).job
        try await fixture.refuseCommits()
        let claimed = try? await fixture.store.claimNext(worker: "w", lease: .seconds(15))
        // postgres-nio closes the connection whose commit failed; a call sent on it meanwhile
        // fails (after the store's 10 s bound, when the connection is lost under it), and the
        // pool opens another: the next call answers.
        var status: JobStatus?
        for _ in 0..<3 where status == nil {
            status = try? await fixture.store.job(id: stored.id)?.status
        }
        #expect(status == .queued)
        try await allowCommits(fixture)
        if let claimed {
            let result = try await fixture.store.complete(
                [Completion(claimed, .finished(17))], ttl: .seconds(600))
            #expect(result[0].job == nil)
        }
        #expect(try await fixture.store.job(id: stored.id)?.status == .queued)
        #expect(try await fixture.store.claimNext(worker: "w2", lease: .seconds(15))?.attempts == 1)
    }
}
