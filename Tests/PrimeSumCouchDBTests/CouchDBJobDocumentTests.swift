import Foundation
import PrimeSumJobs
import Testing

@testable import PrimeSumCouchDB

@Suite struct CouchDBJobDocumentTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func everyFieldSurvivesTheRoundTripThroughJSON() throws {
        var job = Job(
            a: UInt64.max - 100, b: UInt64.max, createdAt: now, expiresAt: now.addingTimeInterval(600),
            idempotencyKey: "key", owner: "owner")
        job.claim(by: "worker", lease: .seconds(15), now: now)
        job.fail(
            JobFailure(code: "boom", message: "it broke"), now: now.addingTimeInterval(1), ttl: .seconds(60))
        job.sum = UInt128.max
        job.version = 7
        let data = try JSONEncoder().encode(CouchDBJobDocument(job, revision: "7-abc"))
        let decoded = try JSONDecoder().decode(CouchDBJobDocument.self, from: data)
        #expect(decoded._rev == "7-abc" && decoded._id == job.id.uuidString)
        #expect(try decoded.job() == job)
    }

    @Test func bigNumbersAreStringsAndAbsentFieldsAreLeftOut() throws {
        let job = Job(a: 1, b: UInt64.max, createdAt: now, expiresAt: now)
        let text = String(
            decoding: try JSONEncoder().encode(CouchDBJobDocument(job, revision: nil)), as: UTF8.self)
        #expect(text.contains("\"b\":\"18446744073709551615\""))
        #expect(!text.contains("_rev") && !text.contains("sum") && !text.contains("null"))
        #expect(text.contains("\"type\":\"job\""))
    }

    @Test func aDocumentThatIsNotAJobIsCorrupt() throws {
        var document = CouchDBJobDocument(Job(a: 1, b: 2, createdAt: now, expiresAt: now), revision: nil)
        document.type = "lease"
        #expect(throws: JobStoreError.self) { try document.job() }
        document.type = "job"
        document.sum = "not a number"
        #expect(throws: JobStoreError.self) { try document.job() }
        document.sum = nil
        document.status = "DONE"
        #expect(throws: JobStoreError.self) { try document.job() }
    }

    @Test func guardIDsKeepOwnersApart() {
        #expect(
            CouchDBJobStore.guardID(key: "k", owner: "a:b") != CouchDBJobStore.guardID(key: "b:k", owner: "a")
        )
        #expect(CouchDBJobStore.guardID(key: "k", owner: nil) == "primesum-idempotency::k")
    }
}
