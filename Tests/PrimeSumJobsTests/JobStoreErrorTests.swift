import Foundation
import Logging
import PrimeSumJobs
import PrimeSumPostgres
import Testing

@Suite struct JobStoreErrorTests {
    @Test func aStoreStartingIsLoggedQuietlyAndAnOutageLoudly() {
        #expect(JobStoreError.logLevel(of: JobStoreError.starting("migrating")) == .debug)
        #expect(JobStoreError.logLevel(of: JobStoreError.unavailable("down")) == .warning)
        #expect(JobStoreError.logLevel(of: CancellationError()) == .warning)
    }

    /// A PostgreSQL store whose service has not run yet has no schema: it says it is starting
    /// (its background tasks log that at debug), not that it is down.
    @Test(.enabled(if: PostgresFixture.url != nil, PostgresFixture.skipReason))
    func aPostgresStoreBeforeItsMigrationIsStarting() async throws {
        let url = try PostgresStoreURL("\(try #require(PostgresFixture.url))?schema=never_migrated")
        let store = try PostgresJobStore(url: url, logger: Logger(label: "test"))
        await #expect(throws: JobStoreError.starting("the schema is not ready yet")) {
            try await store.ping()
        }
    }
}
