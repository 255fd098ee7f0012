import Foundation
import Logging
import PrimeSumCouchDB
import PrimeSumJobs
import PrimeSumPostgres
import PrimeSumRedis
import PrimeSumRedisClient
import ServiceLifecycle
import Synchronization
import Testing

/// A shared store's kind, made from a URL of any of its servers, for the TLS tests.
struct TLSBackend: CustomTestStringConvertible, Sendable {
    let name: String
    /// The TLS server (certificate for 127.0.0.1, signed by the test CA), and the same kind
    /// of server presenting an expired certificate.
    let url: String?
    let expiredURL: String?
    /// The same kind of server without TLS, and that URL asking for TLS with `sslmode=require`.
    let plainAskingForTLS: String?
    let make: @Sendable (String, Logger) throws -> any JobStore & Service
    var testDescription: String { name }

    static let all: [TLSBackend] = [
        TLSBackend(
            name: "postgres", url: TLSFixture.postgres, expiredURL: TLSFixture.postgresExpired,
            plainAskingForTLS: PostgresFixture.url.map { TLSFixture.adding("sslmode=require", to: $0) }
        ) { url, logger in
            try PostgresJobStore(
                url: try PostgresStoreURL(TLSFixture.adding("schema=tls_\(Self.place())", to: url)),
                logger: logger)
        },
        TLSBackend(
            name: "redis", url: TLSFixture.redis, expiredURL: TLSFixture.redisExpired,
            plainAskingForTLS: RedisFixture.url.map { requiringTLS($0, "redis://", "rediss://") }
        ) { url, logger in
            RedisJobStore(
                url: try RedisURL(TLSFixture.adding("prefix=tls-\(Self.place())", to: url)), logger: logger)
        },
        TLSBackend(
            name: "couchdb", url: TLSFixture.couchDB, expiredURL: TLSFixture.couchDBExpired,
            // CouchDB itself waits for more than a TLS hello, where the client's connect and
            // handshake timeouts race; its proxy answers at once.
            plainAskingForTLS: TLSFixture.couchDBPlain.map { requiringTLS($0, "http://", "https://") }
        ) { url, logger in
            var components = try #require(URLComponents(string: url))
            components.path = "/tls_\(Self.place())"
            return CouchDBJobStore(url: try CouchDBStoreURL(try #require(components.string)), logger: logger)
        },
    ]

    static var available: [TLSBackend] { all.filter { $0.url != nil } }

    /// A plain server's URL with the TLS scheme and `sslmode=require`.
    private static func requiringTLS(_ url: String, _ plain: String, _ secure: String) -> String {
        TLSFixture.adding("sslmode=require", to: url.replacingOccurrences(of: plain, with: secure))
    }

    private static func place() -> String { UUID().uuidString.prefix(8).lowercased() }

    /// Runs a store on `url` that is expected to fail: its error, and how many times its
    /// set-up retried (each retry logs "waiting for …"; a configuration error is not
    /// retried). A store that starts instead runs for at most `limit`, then nil is returned.
    func failure(of url: String, limit: Duration = .seconds(120)) async throws -> (
        JobStoreError?, retries: Int
    ) {
        let lines = LogLines()
        let store = try make(url, Logger(label: "test") { _ in CollectingLogHandler(lines: lines) })
        do {
            try await withDeadline(limit, expired: { CancellationError() }) { try await store.run() }
            return (nil, 0)
        } catch is CancellationError {
            return (nil, 0)
        } catch {
            return (error as? JobStoreError, lines.messages.filter { $0.hasPrefix("waiting for") }.count)
        }
    }

    /// A store on `url` that answers, running in the background until the test process ends.
    func ready(_ url: String) async throws -> any JobStore {
        let store = try make(url, Logger(label: "test"))
        Task { try await store.run() }
        try await Backend.untilReady(store)
        return store
    }
}

@Suite(.enabled(if: !TLSBackend.available.isEmpty, TLSFixture.skipReason))
struct StoreTLSTests {
    /// Checks a failure: the TLS reason it should name, no secret of the test servers in it,
    /// and no retrying (set-up retries a store that is down for about 40 s).
    private func expectRefused(
        _ outcome: (JobStoreError?, retries: Int), saying reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let (error, retries) = outcome
        guard case .tlsFailed(let text) = error else {
            Issue.record(
                "expected a TLS failure, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(text.contains(reason), "\(text)", sourceLocation: sourceLocation)
        #expect(retries == 0, "retried \(retries) times", sourceLocation: sourceLocation)
        let password = try #require(TLSFixture.password)
        #expect(!text.contains(password), sourceLocation: sourceLocation)
        for line in try TLSFixture.secretLines(of: "client.key") {
            #expect(!text.contains(line), sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: TLSBackend.available)
    func aServerSignedByAnotherCAIsRefusedAtOnceWithTheReason(_ backend: TLSBackend) async throws {
        let url = try TLSFixture.setting(
            "sslrootcert", to: try TLSFixture.file("other-ca.pem"), in: try #require(backend.url))
        try expectRefused(await backend.failure(of: url), saying: "certificate is not trusted")
    }

    @Test(arguments: TLSBackend.available.filter { $0.expiredURL != nil })
    func anExpiredCertificateIsRefused(_ backend: TLSBackend) async throws {
        try expectRefused(
            await backend.failure(of: try #require(backend.expiredURL)), saying: "or it has expired")
    }

    /// The server's certificate names localhost only: reached as 127.0.0.1, it names another
    /// host, which `verify-full` (the default of rediss:// and https://) refuses and
    /// `verify-ca` accepts.
    @Test(arguments: TLSBackend.available)
    func aCertificateNamingAnotherHostIsRefusedByVerifyFullOnly(_ backend: TLSBackend) async throws {
        let url = try TLSFixture.host("127.0.0.1", in: try #require(backend.url))
        try expectRefused(await backend.failure(of: url), saying: "does not name 127.0.0.1")
        let store = try await backend.ready(try TLSFixture.setting("sslmode", to: "verify-ca", in: url))
        try await store.ping()
    }

    @Test(arguments: TLSBackend.all.filter { $0.plainAskingForTLS != nil })
    func requireAgainstAServerWithoutTLSFailsWithAClearMessage(_ backend: TLSBackend) async throws {
        let reason = backend.name == "postgres" ? "does not offer TLS" : "does not speak TLS"
        try expectRefused(await backend.failure(of: try #require(backend.plainAskingForTLS)), saying: reason)
    }

    /// The role `primesum_cert` logs in by its certificate alone (`cert` in pg_hba.conf).
    @Test(.enabled(if: TLSFixture.postgres != nil, TLSFixture.skipReason))
    func aPostgresClientCertificateLogsInWithoutAPassword() async throws {
        let base = try #require(TLSFixture.postgres)
        var components = try #require(URLComponents(string: base))
        components.user = "primesum_cert"
        components.password = nil
        let withoutCertificate = try #require(components.string)
        let withCertificate = TLSFixture.adding(
            "sslcert=\(try TLSFixture.file("client.pem"))&sslkey=\(try TLSFixture.file("client.key"))",
            to: withoutCertificate)
        let postgres = try #require(TLSBackend.all.first { $0.name == "postgres" })
        try await postgres.ready(withCertificate).ping()
        let (error, _) = try await postgres.failure(of: withoutCertificate)
        #expect(error?.isConfigurationError == true, "\(String(describing: error))")
        #expect("\(String(describing: error))".contains("certificate"))
    }

    /// The TLS Redis asks every client for a certificate (`tls-auth-clients yes`).
    @Test(.enabled(if: TLSFixture.redis != nil, TLSFixture.skipReason))
    func aRedisThatAsksForAClientCertificateSaysSo() async throws {
        var url = try #require(TLSFixture.redis)
        for name in ["sslcert", "sslkey"] {
            var components = try #require(URLComponents(string: url))
            components.queryItems = components.queryItems?.filter { $0.name != name }
            url = try #require(components.string)
        }
        let redis = try #require(TLSBackend.all.first { $0.name == "redis" })
        try expectRefused(await redis.failure(of: url), saying: "client certificate")
    }
}

/// A Redis of the test's own, on a TLS port, whose certificate the test changes while a store
/// is connected: what `/readyz` answers when a store that was reachable stops verifying.
@Suite(.enabled(if: TLSFixture.redis != nil, TLSFixture.skipReason))
struct StoreThatStopsVerifyingTests {
    static let port = 63849

    /// `redis-cli` on the test's Redis, not verifying it (its certificate is the test's subject).
    private func command(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "redis-cli", "--tls", "--insecure", "-p", "\(Self.port)", "--no-auth-warning", "-a",
                try #require(TLSFixture.password),
            ]
            + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "redis-cli \(arguments)")
    }

    private func present(_ certificate: String) throws {
        try command(
            "CONFIG", "SET", "tls-cert-file", try TLSFixture.file("\(certificate).pem"), "tls-key-file",
            try TLSFixture.file("\(certificate).key"))
        // Connections made before keep their session: new ones see the new certificate.
        try command("CLIENT", "KILL", "TYPE", "normal")
        try command("CLIENT", "KILL", "TYPE", "pubsub")
    }

    /// Waits until `ping` fails with a TLS failure (its text) or succeeds (nil), for at most 15 s.
    private func settle(_ store: any JobStore, failing: Bool) async throws -> String? {
        var last: String?
        for _ in 0..<150 {
            do {
                try await store.ping()
                last = nil
                if !failing { return nil }
            } catch JobStoreError.tlsFailed(let reason) {
                last = reason
                if failing { return reason }
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    @Test func aStoreWhoseServerStopsVerifyingAnswersTheReasonAndRecovers() async throws {
        let directory = try #require(TLSFixture.directory)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "redis-server", "--port", "0", "--tls-port", "\(Self.port)", "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--requirepass", try #require(TLSFixture.password), "--tls-auth-clients",
            "no",
            "--tls-cert-file", "\(directory)/server.pem", "--tls-key-file", "\(directory)/server.key",
            "--tls-ca-cert-file", "\(directory)/ca.pem", "--dir", directory,
        ]
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer {
            // At once: a Redis left running would hold the port (and an older certificate).
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        let redis = try #require(TLSBackend.all.first { $0.name == "redis" })
        let url =
            "rediss://:\(try #require(TLSFixture.password))@localhost:\(Self.port)/0?sslrootcert=\(directory)/ca.pem"
        try await Task.sleep(for: .milliseconds(200))
        try #require(server.isRunning, "redis-server exited: is port \(Self.port) taken?")
        let store = try await redis.ready(url)

        try present("expired")
        let reason = try await settle(store, failing: true)
        #expect(reason?.contains("certificate is not trusted") == true, "\(String(describing: reason))")
        try present("server")
        #expect(try await settle(store, failing: false) == nil)
    }
}

/// Log messages a test reads back.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var messages: [String] { lines.withLock { $0 } }
    func append(_ message: String) { lines.withLock { $0.append(message) } }
}

/// A log handler that keeps every message in `lines`.
struct CollectingLogHandler: LogHandler {
    let lines: LogLines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { lines.append(event.message.description) }
}
