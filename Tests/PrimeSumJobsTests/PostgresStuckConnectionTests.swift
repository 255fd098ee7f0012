import Foundation
import PostgresNIO
import PrimeSumJobs
import PrimeSumPostgres
import Testing

/// A PostgreSQL operation that passes its deadline on a connection that does not answer gives
/// the connection up: the next operation gets a new one at once instead of waiting behind the
/// stuck query (after a partition, until TCP retransmits; here, behind a lock).
@Suite(.enabled(if: PostgresFixture.url != nil, PostgresFixture.skipReason))
struct PostgresStuckConnectionTests {
    @Test func anOperationPastItsDeadlineFreesItsConnectionForTheNext() async throws {
        let schema = "test_\(UUID().uuidString.prefix(8).lowercased())"
        // One connection for operations, one for the change listener.
        let store = try PostgresFixture.makeStore(poolSize: 2, schema: schema)
        try await Backend.untilReady(store)
        try await PostgresFixture.withAdministrator { admin, logger in
            try await admin.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                try await connection.query(
                    "LOCK TABLE \(unescaped: schema).jobs IN ACCESS EXCLUSIVE MODE", logger: logger)
                // Waits on the lock until its deadline (10 s), holding the store's connection.
                await #expect(throws: JobStoreError.self) { try await store.job(id: UUID()) }
                // A statement that needs no lock runs on a new connection; behind the stuck one
                // it would wait as long as the lock is held, failing every 2 s deadline.
                var answered = false
                for _ in 0..<10 where !answered { answered = (try? await store.ping()) != nil }
                #expect(answered, "no ping answered in 10 tries: the stuck connection still holds the pool")
                try await connection.query("ROLLBACK", logger: logger)
            }
        }
        #expect(try await store.job(id: UUID()) == nil)
    }
}
