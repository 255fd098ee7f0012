import Foundation
import Logging
import PrimeSumCouchDB
import PrimeSumJobs
import Testing

/// The CouchDB 3.x that `scripts/test` starts from ../shared/tools/couchdb
/// (`PRIMESUM_TEST_COUCHDB_URL`, `http://user:password@127.0.0.1:PORT`). Each store gets a
/// database of its own.
enum CouchDBFixture {
    static let url = ProcessInfo.processInfo.environment["PRIMESUM_TEST_COUCHDB_URL"]
    static let skipReason: Comment =
        "PRIMESUM_TEST_COUCHDB_URL is not set: run scripts/test, which starts CouchDB from ../shared/tools/couchdb (Debian does not package it)"

    /// A running store on `database` (a fresh one by default); it stays up for the rest of the
    /// test process. `base` is another server's URL (the TLS one).
    static func makeStore(base: String? = url, database: String? = nil, clock: StoreClock = StoreClock())
        throws
        -> CouchDBJobStore
    {
        guard let base, var components = URLComponents(string: base) else {
            throw JobStoreError.invalidConfiguration("no test CouchDB")
        }
        components.path = "/" + (database ?? "test_\(UUID().uuidString.prefix(8).lowercased())")
        let store = CouchDBJobStore(
            url: try CouchDBStoreURL(components.string ?? ""), logger: Logger(label: "test"), clock: clock)
        Task { try await store.run() }
        return store
    }
}

@Suite struct CouchDBAvailabilityTests {
    /// Reports, as a skip with its reason, when the CouchDB backend cannot be tested here.
    @Test(.enabled(if: CouchDBFixture.url != nil, CouchDBFixture.skipReason))
    func couchDBIsReachable() async throws {
        try await Backend.untilReady(try CouchDBFixture.makeStore())
    }
}
