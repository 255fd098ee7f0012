import Foundation
import Logging
import PostgresNIO
import PrimeSumJobs
import PrimeSumPostgres
import Testing

/// The PostgreSQL that `scripts/test` starts (`PRIMESUM_TEST_POSTGRES_URL`). Each store gets a
/// schema of its own, so tests never see each other's jobs.
enum PostgresFixture {
    static let url = ProcessInfo.processInfo.environment["PRIMESUM_TEST_POSTGRES_URL"]
    static let skipReason: Comment =
        "PRIMESUM_TEST_POSTGRES_URL is not set: run scripts/test, which starts PostgreSQL"

    /// A running store on `schema` (a fresh one by default); it stays up for the rest of the
    /// test process.
    /// `base` is another server's URL (the TLS one).
    static func makeStore(
        base: String? = url, poolSize: Int = 10, schema: String? = nil, clock: StoreClock = StoreClock()
    ) throws -> PostgresJobStore {
        guard let base else { throw JobStoreError.invalidConfiguration("no test PostgreSQL") }
        let schema = schema ?? "test_\(UUID().uuidString.prefix(8).lowercased())"
        let store = try PostgresJobStore(
            url: try PostgresStoreURL(TLSFixture.adding("schema=\(schema)&pool=\(poolSize)", to: base)),
            logger: Logger(label: "test"), clock: clock)
        Task { try await store.run() }
        return store
    }
}

extension PostgresFixture {
    /// Runs `body` with a client of its own on the test PostgreSQL, outside any store: to leave
    /// a schema as an older version did.
    static func withAdministrator(_ body: (PostgresClient, Logger) async throws -> Void) async throws {
        let url = try PostgresStoreURL(try #require(Self.url))
        let client = PostgresClient(
            configuration: .init(
                host: url.host, port: url.port, username: url.username, password: url.password,
                database: url.database, tls: .disable))
        let running = Task { await client.run() }
        defer { running.cancel() }
        try await body(client, Logger(label: "test"))
    }
}

@Suite struct PostgresAvailabilityTests {
    /// Reports, as a skip with its reason, when the PostgreSQL backend cannot be tested here.
    @Test(.enabled(if: PostgresFixture.url != nil, PostgresFixture.skipReason))
    func postgresIsReachable() async throws {
        try await Backend.untilReady(try PostgresFixture.makeStore())
    }
}
