import PrimeSumJobs
import PrimeSumPostgres
import Testing

@Suite struct PostgresStoreURLTests {
    @Test func poolDefaultsToTenAndTwoIsTheLeast() throws {
        #expect(try PostgresStoreURL("postgres://u:p@db:5432/jobs").poolSize == 10)
        #expect(try PostgresStoreURL("postgres://u:p@db:5432/jobs?pool=2").poolSize == 2)
    }

    /// The listener holds one connection for life: a pool of one would leave every query waiting.
    @Test(arguments: ["0", "1", "501", "many"])
    func aPoolTheListenerWouldStarveIsRefused(_ pool: String) {
        #expect(
            throws: JobStoreError.invalidConfiguration(
                "pool must be an integer in 2...500 (one connection is held by the change listener)")
        ) { try PostgresStoreURL("postgres://u:p@db:5432/jobs?pool=\(pool)") }
    }
}
