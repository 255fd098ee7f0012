import Foundation
import Synchronization
import Testing

@testable import PrimeSumRedisClient

/// The Redis that `scripts/test` starts (`PRIMESUM_TEST_REDIS_URL`).
enum TestServer {
    static let url = ProcessInfo.processInfo.environment["PRIMESUM_TEST_REDIS_URL"].flatMap {
        try? RedisURL($0)
    }
}

@Suite(
    .enabled(
        if: TestServer.url != nil, "PRIMESUM_TEST_REDIS_URL is not set: run scripts/test, which starts Redis")
)
struct RedisConnectionTests {
    let key = "client-test-\(UUID())"

    /// A thousand commands in flight at once on one connection: each gets its own reply.
    @Test func pipelinedCommandsGetTheirOwnReplies() async throws {
        let connection = try await RedisConnection.connect(to: try #require(TestServer.url))
        defer { connection.close() }
        let mismatched = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<1_000 {
                group.addTask {
                    try await connection.send(RESPCommand("ECHO", "reply \(index)")).string
                        != "reply \(index)"
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(mismatched == 0)
        await #expect(throws: RedisClientError.self) {
            try await connection.send(RESPCommand("NOSUCHCOMMAND")).orThrow()
        }
        #expect(
            try await connection.send(RESPCommand("PING")) == .simpleString("PONG"),
            "the connection survives an error reply")
    }

    /// The URL's database is SELECTed on every new connection.
    @Test func theURLsDatabaseIsSelected() async throws {
        var url = try #require(TestServer.url)
        url.database = 3
        let connection = try await RedisConnection.connect(to: url)
        defer { connection.close() }
        let info = try #require(try await connection.send(RESPCommand("CLIENT", "INFO")).orThrow().string)
        #expect(info.contains(" db=3 "), "\(info)")
    }

    @Test func aWrongPasswordIsRefused() async throws {
        var url = try #require(TestServer.url)
        url.password = "wrong"
        await #expect(throws: RedisClientError.self) { try await RedisConnection.connect(to: url) }
    }

    /// A command without a reply in time fails with a timeout and closes the connection, so a
    /// late reply cannot be taken for another command's. (Without the timeout, BLPOP would
    /// answer nil after 30 s and nothing would be thrown.) The timeout also bounds the
    /// connection's AUTH, which took over 300 ms beside the whole suite: 5 s leaves room.
    @Test(.timeLimit(.minutes(1))) func aSilentServerTimesOutAndTheConnectionCloses() async throws {
        let connection = try await RedisConnection.connect(
            to: try #require(TestServer.url), commandTimeout: .seconds(5))
        let error = await #expect(throws: RedisClientError.self) {
            try await connection.send(RESPCommand("BLPOP", key, "30"))
        }
        guard case .timedOut = error else {
            Issue.record("expected a timeout, got \(String(describing: error))"); return
        }
        for _ in 0..<1_000 where connection.isActive { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!connection.isActive)
    }

    /// The pool opens a connection again after the server dropped it.
    @Test func thePoolReconnectsAfterTheServerClosesItsConnections() async throws {
        var url = try #require(TestServer.url)
        url.poolSize = 1
        let pool = RedisConnectionPool(url: url)
        defer { pool.close() }
        let admin = try await RedisConnection.connect(to: url)
        defer { admin.close() }
        let before = try #require(try await pool.run("CLIENT", "ID").integer)
        try await admin.send(RESPCommand("CLIENT", "KILL", "ID", String(before))).orThrow()
        var after: Int64?
        for _ in 0..<100 where after == nil {
            after = try? await pool.run("CLIENT", "ID").integer
            if after == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(after != nil && after != before, "the pool did not open a new connection")
    }

    @Test func subscribersReceivePublishedMessages() async throws {
        let url = try #require(TestServer.url)
        let channel = "channel-\(UUID())"
        let received = Mutex<[String]>([])
        let (subscribed, confirm) = AsyncStream.makeStream(of: Void.self)
        let listener = Task {
            try await RedisSubscriber.listen(to: url, channel: channel, subscribed: { confirm.yield() }) {
                message in
                received.withLock { $0.append(message) }
            }
        }
        defer { listener.cancel() }
        for await _ in subscribed { break }
        let publisher = try await RedisConnection.connect(to: url)
        defer { publisher.close() }
        for index in 0..<3 {
            try await publisher.send(RESPCommand("PUBLISH", channel, "m\(index)")).orThrow()
        }
        for _ in 0..<200 where received.withLock({ $0.count }) < 3 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(received.withLock { $0 } == ["m0", "m1", "m2"])
    }
}

extension RedisConnectionTests {
    /// A command sent on a connection that has already closed fails as a lost connection, not
    /// by its timeout (set past the test's time limit, which catches a command left waiting for
    /// a reply that cannot come).
    @Test(.timeLimit(.minutes(1))) func aCommandOnAClosedConnectionFailsAtOnce() async throws {
        let connection = try await RedisConnection.connect(
            to: try #require(TestServer.url), commandTimeout: .seconds(300))
        connection.close()
        for _ in 0..<1_000 where connection.isActive { try await Task.sleep(for: .milliseconds(10)) }
        let error = await #expect(throws: RedisClientError.self) {
            try await connection.send(RESPCommand("PING"))
        }
        guard case .connectionFailed = error else {
            Issue.record("expected a lost connection, got \(String(describing: error))"); return
        }
    }
}
