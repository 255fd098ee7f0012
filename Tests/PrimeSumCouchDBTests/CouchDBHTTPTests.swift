import Foundation
import Glibc
import Logging
import NIOCore
import NIOHTTP1
import PrimeSumJobs
import Testing

@testable import PrimeSumCouchDB

@Suite struct CouchDBHTTPTests {
    @Test func refusalsNameTheCauseAndHint() throws {
        let http = try CouchDBHTTP(
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
        let http = try CouchDBHTTP(
            url: try CouchDBStoreURL("couchdb://admin:topsecret@127.0.0.1:1/jobs"), clock: StoreClock())
        await #expect {
            try await http.send(.GET, http.databasePath())
        } throws: { error in
            guard case .unavailable(let reason) = error as? JobStoreError else { return false }
            return reason.contains("127.0.0.1:1") && !reason.contains("topsecret")
        }
        try await http.shutdown()
    }

    /// A CouchDB that refused many connections (restarting) is reached by the next request
    /// once it listens again. With AsyncHTTPClient's connection retries, 40 refusals left a
    /// back-off of about a minute that failed that request at its connect timeout, and kept
    /// a replica away long after its CouchDB was back.
    @Test func aServerThatComesBackIsReachedByTheNextRequest() async throws {
        let port = try RefusingPort()
        let http = try CouchDBHTTP(
            url: try CouchDBStoreURL("couchdb://127.0.0.1:\(port.number)/jobs"), clock: StoreClock())
        for _ in 0..<40 {
            _ = try? await http.send(.GET, http.databasePath(), timeout: .seconds(1))
        }
        port.answer()
        let answer = try? await http.send(.GET, http.databasePath(), timeout: .seconds(10))
        try await http.shutdown()
        #expect(answer?.status == .ok)
    }

    @Test func pathsEscapeEachSegment() throws {
        let http = try CouchDBHTTP(url: try CouchDBStoreURL("couchdb://127.0.0.1/jobs"), clock: StoreClock())
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

/// A port on 127.0.0.1 held by a socket that does not listen (a connection to it is refused,
/// and no other socket can take the port meanwhile) until `answer()`, from when it answers
/// every HTTP request 200 with `{}`. Hand-written on the socket API: the test needs the port
/// to refuse and then answer without ever being free.
final class RefusingPort: @unchecked Sendable {
    private let socket: Int32
    let number: Int

    init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(socket, address, length) == 0 && getsockname(socket, address, &length) == 0
            }
        }
        guard socket >= 0, bound else { throw CouchDBHTTPTestError.noPort }
        self.socket = socket
        number = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Listens from now on, answering each request on a thread of its own.
    func answer() {
        listen(socket, 64)
        let socket = socket
        Thread.detachNewThread {
            while case let connection = accept(socket, nil, nil), connection >= 0 {
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !request.suffix(4).elementsEqual("\r\n\r\n".utf8) {
                    let count = read(connection, &buffer, buffer.count)
                    if count <= 0 { break }
                    request += buffer[..<count]
                }
                let response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
                _ = response.withCString { write(connection, $0, strlen($0)) }
                close(connection)
            }
        }
    }

    deinit { close(socket) }
}

enum CouchDBHTTPTestError: Error { case noPort }
