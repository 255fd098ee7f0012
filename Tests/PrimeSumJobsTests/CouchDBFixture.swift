import Foundation
import Logging
import PrimeSumCouchDB
import PrimeSumJobs
import Testing

/// A CouchDB 3.x named by `COUCHDB_URL` (`http://user:password@127.0.0.1:5984`). Debian has no
/// CouchDB package, so CI has none and these tests are skipped there with that reason. Each
/// store gets a database of its own.
enum CouchDBFixture {
    static let url = ProcessInfo.processInfo.environment["COUCHDB_URL"]
    static let skipReason: Comment =
        "COUCHDB_URL is not set: no CouchDB here (Debian does not package it); point COUCHDB_URL at a CouchDB 3.x to run these"

    /// A running store on `database` (a fresh one by default); it stays up for the rest of the
    /// test process.
    static func makeStore(database: String? = nil) throws -> CouchDBJobStore {
        guard let url, var components = URLComponents(string: url) else {
            throw JobStoreError.invalidConfiguration("no test CouchDB")
        }
        components.path = "/" + (database ?? "test_\(UUID().uuidString.prefix(8).lowercased())")
        let store = CouchDBJobStore(
            url: try CouchDBStoreURL(components.string ?? ""), logger: Logger(label: "test"))
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
