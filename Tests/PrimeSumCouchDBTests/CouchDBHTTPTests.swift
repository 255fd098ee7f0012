import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PrimeSumJobs
import Testing

@testable import PrimeSumCouchDB

@Suite struct CouchDBHTTPTests {
    @Test func refusalsNameTheCauseAndHint() throws {
        let http = CouchDBHTTP(
            url: try CouchDBStoreURL("couchdb://admin:topsecret@127.0.0.1:1/jobs"), clock: StoreClock())
        defer { try? http.client.syncShutdown() }
        let body = ByteBuffer(string: #"{"error":"unauthorized","reason":"Name or password is incorrect."}"#)
        let error = http.rejection(.init(status: .unauthorized, body: body))
        #expect("\(error)".contains("401 unauthorized: Name or password is incorrect."))
        #expect("\(error)".contains("check the CouchDB user name and password"))
        let garbled = http.rejection(.init(status: .internalServerError, body: ByteBuffer(string: "<html>")))
        #expect("\(garbled)".contains("500"))
    }

    @Test func anUnreachableServerIsUnavailableWithoutTheCredentials() async throws {
        let http = CouchDBHTTP(
            url: try CouchDBStoreURL("couchdb://admin:topsecret@127.0.0.1:1/jobs"), clock: StoreClock())
        await #expect {
            try await http.send(.GET, http.databasePath())
        } throws: { error in
            guard case .unavailable(let reason) = error as? JobStoreError else { return false }
            return reason.contains("127.0.0.1:1") && !reason.contains("topsecret")
        }
        try await http.shutdown()
    }

    @Test func pathsEscapeEachSegment() throws {
        let http = CouchDBHTTP(url: try CouchDBStoreURL("couchdb://127.0.0.1/jobs"), clock: StoreClock())
        defer { try? http.client.syncShutdown() }
        #expect(http.databasePath("_design", "primesum-v1") == "jobs/_design/primesum-v1")
        #expect(http.databasePath("primesum-idempotency:o:k/1") == "jobs/primesum-idempotency%3Ao%3Ak%2F1")
    }

    @Test func aStoreThatIsNotSetUpAnswersUnavailable() async throws {
        let store = CouchDBJobStore(
            url: try CouchDBStoreURL("couchdb://127.0.0.1:1/jobs"), logger: Logger(label: "test"))
        await #expect(throws: JobStoreError.self) { try await store.ping() }
        await #expect(throws: JobStoreError.self) { try await store.queuedCount() }
    }

    @Test func theFeedIsSplitIntoLines() {
        var lines = LineBuffer()
        lines.append(ByteBuffer(string: "{\"seq\":\"1\"}\n\n{\"se"))
        #expect(lines.next().map { String(decoding: $0, as: UTF8.self) } == "{\"seq\":\"1\"}")
        #expect(lines.next() == nil)
        lines.append(ByteBuffer(string: "q\":\"2\"}\n"))
        #expect(lines.next().map { String(decoding: $0, as: UTF8.self) } == "{\"seq\":\"2\"}")
    }
}
