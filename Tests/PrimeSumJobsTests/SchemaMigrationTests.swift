import Foundation
import GRDB
import Logging
import PostgresNIO
import PrimeSumJobs
import Testing

@testable import PrimeSumPostgres
@testable import PrimeSumSQLite

/// A database made by the first version of a store's schema keeps its jobs through every
/// migration since (the schema files under `Schema/`): a queued job is still claimed, a
/// finished one still answers its idempotency key and its range.
@Suite struct SchemaMigrationTests {
    let queued = UUID()
    let finished = UUID()

    /// The two jobs as the first schema stored them, in its columns.
    func firstSchemaRows(now: Date) -> String {
        let created = now.epochMilliseconds
        let expires = created + 600_000
        return """
            INSERT INTO jobs (id, status, a, b, sum, progress, created_at, started_at, finished_at,
                expires_at, attempts, error_code, error_message, version, lease_owner, lease_expires_at,
                idempotency_key, owner)
            VALUES
                ('\(queued.uuidString)', 'QUEUED', '10', '20', NULL, 0, \(created), NULL, NULL,
                    \(expires), 0, NULL, NULL, 0, NULL, NULL, NULL, NULL),
                ('\(finished.uuidString)', 'FINISHED', '1', '100', '1060', 1, \(created - 1_000), \(created - 900),
                    \(created - 800), \(expires), 1, NULL, NULL, 3, NULL, NULL, 'key-1', 'alice')
            """
    }

    /// What a store migrated from the first schema must still answer.
    func expectJobsKept(by store: any JobStore) async throws {
        let now = store.clock.now()
        let done = try #require(try await store.job(id: finished))
        #expect(done.status == .finished && done.sum == 1060 && done.a == 1 && done.b == 100)
        #expect(done.parent == nil && done.partCount == 0 && done.attempts == 1)
        var retry = Job(a: 1, b: 100, createdAt: now, expiresAt: now.addingTimeInterval(600))
        retry.idempotencyKey = "key-1"
        retry.owner = "alice"
        #expect(try await store.submit(retry) == .duplicate(done))
        let known = try await store.submit(
            Job(a: 1, b: 100, createdAt: now, expiresAt: now.addingTimeInterval(600)))
        #expect(known.job.status == .finished && known.job.sum == 1060)
        let claimed = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        #expect(claimed.id == queued && claimed.attempts == 1 && claimed.a == 10 && claimed.b == 20)
    }

    @Test func sqlite() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "primesum-schema-\(UUID().uuidString.prefix(8)).sqlite"
        ).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try DatabaseQueue(path: path)
        try SQLiteJobStore.migrator.migrate(database, upTo: "v1: jobs and leases")
        let now = Date()
        try await database.write { db in try db.execute(sql: firstSchemaRows(now: now)) }
        try database.close()
        try await expectJobsKept(by: try SQLiteJobStore(path: path))
    }

    @Test(.enabled(if: PostgresFixture.url != nil, PostgresFixture.skipReason))
    func postgres() async throws {
        let schema = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let first = try #require(PostgresJobStore.migrations(channel: "primesum_\(schema)").first)
        #expect(first.version == 1)
        try await PostgresFixture.withAdministrator { admin, logger in
            try await admin.withTransaction(logger: logger) { connection in
                for statement in [
                    "CREATE SCHEMA \(schema)", "SET LOCAL search_path TO \(schema)",
                    "CREATE TABLE primesum_migrations (version integer PRIMARY KEY)",
                    "INSERT INTO primesum_migrations (version) VALUES (1)",
                ] + first.statements + [firstSchemaRows(now: Date())] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
        }
        let store = try PostgresFixture.makeStore(schema: schema)
        try await Backend.untilReady(store)
        try await expectJobsKept(by: store)
    }
}

/// The migration scripts are cut into statements where PostgreSQL would end them.
@Suite struct SQLScriptTests {
    @Test func semicolonsInBodiesStringsAndCommentsDoNotEndAStatement() {
        let script = SQLScript(
            """
            -- a comment; with a semicolon
            CREATE TABLE t (x text DEFAULT 'a;b', "odd;name" int);
            CREATE FUNCTION f() RETURNS trigger AS $$
            BEGIN
                PERFORM 1;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql;
            SELECT $tag$ ; $tag$, 'it''s; fine';

            """)
        #expect(
            script.statements == [
                "CREATE TABLE t (x text DEFAULT 'a;b', \"odd;name\" int)",
                "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n    PERFORM 1;\n    RETURN NULL;\nEND;\n$$ LANGUAGE plpgsql",
                "SELECT $tag$ ; $tag$, 'it''s; fine'",
            ])
    }

    /// Every shipped migration of PostgreSQL cuts into statements, none empty, the trigger's
    /// function whole.
    @Test func theShippedMigrationsCutWhole() {
        let migrations = PostgresJobStore.migrations(channel: "primesum_x")
        #expect(migrations.map(\.version) == Array(1...9))
        #expect(migrations[0].statements.count == 9)
        #expect(
            migrations[0].statements.contains {
                $0.hasPrefix("CREATE FUNCTION") && $0.hasSuffix("LANGUAGE plpgsql")
            })
        #expect(migrations.allSatisfy { !$0.statements.joined().contains("{{channel}}") })
    }
}
