import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
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

    /// A CouchDB that refused many connections (restarting) is reached by the next request
    /// once it listens again. With AsyncHTTPClient's connection retries, 40 refusals left a
    /// back-off of about a minute that failed that request at its connect timeout, and kept
    /// a replica away long after its CouchDB was back.
    @Test func aServerThatComesBackIsReachedByTheNextRequest() async throws {
        let first = try await FixedAnswerServer.start(port: 0)
        let port = first.port
        try await first.stop()
        let http = CouchDBHTTP(
            url: try CouchDBStoreURL("couchdb://127.0.0.1:\(port)/jobs"), clock: StoreClock())
        for _ in 0..<40 {
            _ = try? await http.send(.GET, http.databasePath(), timeout: .seconds(1))
        }
        let server = try await FixedAnswerServer.start(port: port)
        let answer = try? await http.send(.GET, http.databasePath(), timeout: .seconds(10))
        try await http.shutdown()
        try await server.stop()
        #expect(answer?.status == .ok)
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

/// An HTTP server on 127.0.0.1 that answers every request 200 with `{}`.
struct FixedAnswerServer {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(port: Int) async throws -> FixedAnswerServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Answer())
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        return FixedAnswerServer(channel: channel)
    }

    func stop() async throws { try await channel.close() }

    private final class Answer: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let head = HTTPResponseHead(
                version: .http1_1, status: .ok,
                headers: ["Content-Length": "2", "Content-Type": "application/json"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "{}")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
