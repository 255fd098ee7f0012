import Foundation
import GRDB
import Logging
import PostgresNIO
import PrimeSumJobs
import PrimeSumPostgres
import PrimeSumSQLite
import Testing

/// A split job stored by a version before settlement checks has no check time: the migration
/// that introduced them makes it due at once, so the cleaner settles it if its settler died.
@Suite struct SettlementCheckMigrationTests {
    let ttl = Duration.seconds(600)

    /// A parent split into two parts that both finished without settling it (their settler
    /// died), on `store`.
    func orphanedParent(on store: any CompareAndSwapJobStore) async throws -> UUID {
        let now = store.clock.now()
        _ = try await store.submit(Job(a: 10, b: 30, createdAt: now, expiresAt: now.addingTimeInterval(600)))
        let parent = try #require(try await store.claimNext(worker: "splitter", lease: .seconds(15)))
        _ = try await store.split(parent, into: [10..<20, 20..<30], ttl: ttl)
        for sum: UInt128 in [60, 52] {
            var part = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
            part.finish(sum: sum, now: store.clock.now(), ttl: ttl)
            _ = try #require(try await store.update(part))
        }
        return parent.id
    }

    func sweep(_ store: any JobStore) async {
        await Cleaner(
            store: store, interval: .seconds(1), maxAttempts: 3, resultsTTL: ttl, holder: "cleaner",
            logger: Logger(label: "test")
        ).sweep(full: false)
    }

    @Test func sqlite() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "primesum-migration-\(UUID().uuidString.prefix(8)).sqlite"
        ).path
        let parent = try await orphanedParent(on: try SQLiteJobStore(path: path))
        // As the older version left it: no check time, the migration not yet run.
        let database = try DatabaseQueue(path: path)
        try await database.write { db in
            try db.execute(sql: "UPDATE jobs SET lease_expires_at = NULL WHERE part_count > 0")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v4: settlement checks'")
        }
        try database.close()
        let store = try SQLiteJobStore(path: path)
        await sweep(store)
        let settled = try #require(try await store.job(id: parent))
        #expect(settled.status == .finished && settled.sum == 112)
    }

    @Test(.enabled(if: PostgresFixture.url != nil, PostgresFixture.skipReason))
    func postgres() async throws {
        let schema = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let first = try PostgresFixture.makeStore(schema: schema)
        try await Backend.untilReady(first)
        let parent = try await orphanedParent(on: first)
        try await PostgresFixture.withAdministrator { admin, logger in
            for statement in [
                "UPDATE \(schema).jobs SET lease_expires_at = NULL WHERE part_count > 0",
                "DELETE FROM \(schema).primesum_migrations WHERE version = 4",
            ] {
                try await admin.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
        let store = try PostgresFixture.makeStore(schema: schema)
        try await Backend.untilReady(store)
        await sweep(store)
        let settled = try #require(try await store.job(id: parent))
        #expect(settled.status == .finished && settled.sum == 112)
    }
}
