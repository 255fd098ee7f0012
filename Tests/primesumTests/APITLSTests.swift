import Foundation
import Testing

/// `primesum serve` over HTTPS (`http.tls.certificate`, `http.tls.key`) with the throw-away CA
/// of `scripts/tls-servers`, and `submit` trusting that CA (`--ca-file`).
@Suite(.enabled(if: TLSServers.directory != nil, TLSServers.skipReason))
struct APITLSTests {
    static func file(_ name: String) throws -> String { "\(try #require(TLSServers.directory))/\(name)" }

    /// The served pair, copied where the test can replace it.
    static func servedPair(_ name: String) throws -> (certificate: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "api-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pair = (
            directory.appendingPathComponent("tls.crt").path, directory.appendingPathComponent("tls.key").path
        )
        try serve(name, at: pair)
        return pair
    }

    /// Writes the certificate `name` (`server`, `other-server`) over the served pair.
    static func serve(_ name: String, at pair: (certificate: String, key: String)) throws {
        for (source, target) in [("\(name).pem", pair.certificate), ("\(name).key", pair.key)] {
            try Data(contentsOf: URL(fileURLWithPath: try file(source))).write(
                to: URL(fileURLWithPath: target))
        }
    }

    /// `submit --wait` of [10, 1000) to the server at `localhost` trusting `ca`.
    static func submit(to server: ServerProcess, trusting ca: String?) throws -> CommandRunner.Outcome {
        try CommandRunner.run(
            ["submit", "10", "1000", "--wait", "--server", "https://localhost:\(server.port)"]
                + (try ca.map { ["--ca-file", try file($0)] } ?? []))
    }

    @Test func aClientTrustingTheCAGetsItsSumAndOneThatDoesNotIsToldWhy() async throws {
        let pair = try Self.servedPair("server")
        let server = try await ServerProcess.start([
            "--store-url", "memory:", "--http-tls-certificate", pair.certificate, "--http-tls-key", pair.key,
        ])
        defer { server.process.terminate() }
        let trusting = try Self.submit(to: server, trusting: "ca.pem")
        #expect(trusting.status == 0 && trusting.standardOutput == "76110\n", "\(trusting)")
        let distrusting = try Self.submit(to: server, trusting: "other-ca.pem")
        #expect(distrusting.status == 1)
        #expect(
            distrusting.standardError.contains(
                "the server's certificate is not trusted: it is not signed by a CA in"),
            "\(distrusting.standardError)")
        let plain = try CommandRunner.run([
            "submit", "10", "1000", "--server", "http://localhost:\(server.port)",
        ])
        #expect(plain.status == 1, "\(plain)")
    }

    /// `loadtest` over HTTPS, trusting the test CA: every job finishes with its sum checked.
    @Test func aLoadTestReachesTheAPIOverTLS() async throws {
        let pair = try Self.servedPair("server")
        let server = try await ServerProcess.start([
            "--store-url", "memory:", "--http-tls-certificate", pair.certificate, "--http-tls-key", pair.key,
            "--rate-limit-submits-per-second", "0", "--rate-limit-polls-per-second", "0",
        ])
        defer { server.process.terminate() }
        let summary = try LoadtestCommandTests.loadtest([
            "--target", "https://localhost:\(server.port)", "--ca-file", try Self.file("ca.pem"), "--rate",
            "10",
            "--duration", "2",
        ])
        #expect(summary["launched"] as? Int == 20 && summary["finished"] as? Int == 20)
        #expect((summary["errors"] as? [String: Any])?.isEmpty == true)
    }

    /// cert-manager rewrites a Secret's files in place: SIGHUP, or the change itself seen
    /// within its 10 s look, makes new connections get the new certificate; a file that does
    /// not load keeps the one before.
    @Test func aRotatedCertificateIsServedAfterSIGHUPOrOnceTheFilesChange() async throws {
        let pair = try Self.servedPair("server")
        let server = try await ServerProcess.start([
            "--store-url", "memory:", "--http-tls-certificate", pair.certificate, "--http-tls-key", pair.key,
        ])
        defer { server.process.terminate() }
        #expect(try Self.submit(to: server, trusting: "ca.pem").status == 0)

        try "not a certificate\n".write(toFile: pair.certificate, atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        #expect(try Self.submit(to: server, trusting: "ca.pem").status == 0)
        #expect(
            server.output.contains("the API's certificate could not be reloaded; the previous one is kept"))

        try Self.serve("other-server", at: pair)
        kill(server.process.processIdentifier, SIGHUP)
        #expect(
            try await Self.eventually { try Self.submit(to: server, trusting: "other-ca.pem").status == 0 })
        #expect(try Self.submit(to: server, trusting: "ca.pem").status == 1)

        try Self.serve("server", at: pair)
        #expect(
            try await Self.eventually(within: .seconds(25)) {
                try Self.submit(to: server, trusting: "ca.pem").status == 0
            })
    }

    static func eventually(within limit: Duration = .seconds(5), _ condition: () throws -> Bool) async throws
        -> Bool
    {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try condition()
    }
}
