import PrimeSumJobs
import Testing

@testable import PrimeSumCouchDB

@Suite struct CouchDBStoreURLTests {
    @Test func parsesTheCouchDBScheme() throws {
        let url = try CouchDBStoreURL("couchdb://admin:s%40cret@db.local:6000/jobs?pool=8")
        #expect(url.server == "http://db.local:6000")
        #expect(url.database == "jobs" && url.username == "admin" && url.password == "s@cret")
        #expect(url.poolSize == 8)
    }

    @Test func httpsKeepsTLSAndDefaultsThePortAndDatabase() throws {
        let url = try CouchDBStoreURL("https://couch.example")
        #expect(url.server == "https://couch.example:5984" && url.database == "primesum")
        #expect(url.username == nil && url.password == nil)
    }

    @Test(arguments: [
        "couchdb://", "redis://host/db", "couchdb://host/Upper", "couchdb://host/1starts-with-digit",
        "couchdb://host/db?pool=0", "couchdb://host/db?pool=many",
    ])
    func refusesWhatCouchDBCannotUse(_ text: String) {
        #expect(throws: JobStoreError.self) { try CouchDBStoreURL(text) }
    }

    @Test func theSeedSettingsMakeAURL() throws {
        let text = try CouchDBStoreURL.fromSettings(
            address: "couchdb-svc-couchdb", port: nil, username: "admin", password: "p@ss:word/1",
            database: nil)
        let url = try CouchDBStoreURL(text)
        #expect(url.server == "http://couchdb-svc-couchdb:5984")
        #expect(url.database == "responses" && url.username == "admin" && url.password == "p@ss:word/1")
    }

    @Test func aSettingsAddressMayBeAURLWithItsOwnPort() throws {
        let text = try CouchDBStoreURL.fromSettings(
            address: "https://couch.example:6984", port: nil, username: nil, password: nil, database: "jobs")
        let url = try CouchDBStoreURL(text)
        #expect(url.server == "https://couch.example:6984" && url.database == "jobs")
        let overridden = try CouchDBStoreURL(
            try CouchDBStoreURL.fromSettings(
                address: "http://couch.example:6984", port: 7000, username: nil, password: nil, database: nil)
        )
        #expect(overridden.server == "http://couch.example:7000")
    }
}
