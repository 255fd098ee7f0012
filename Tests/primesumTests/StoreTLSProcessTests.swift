import Foundation
import Testing

/// The TLS servers that `scripts/test` starts (`scripts/tls-servers`).
enum TLSServers {
    static let postgres = ProcessInfo.processInfo.environment["PRIMESUM_TEST_POSTGRES_TLS_URL"]
    /// The throw-away CA and its certificates.
    static let directory = ProcessInfo.processInfo.environment["PRIMESUM_TEST_TLS_DIR"]
    static let skipReason: Comment =
        "the PRIMESUM_TEST_*_TLS_URL variables are not set: run scripts/test, which starts scripts/tls-servers"
}

/// `primesum serve` on the TLS servers of `scripts/tls-servers`: a certificate that does not
/// verify stops it at once with its reason, and no secret of the test servers reaches its
/// output, its errors or its metrics.
@Suite(.enabled(if: TLSServers.postgres != nil, TLSServers.skipReason))
struct StoreTLSProcessTests {
    static let environment = ProcessInfo.processInfo.environment
    static let postgres = TLSServers.postgres

    /// The TLS servers' password, and the body of the client's key: in no output.
    static func secrets() throws -> [String] {
        let directory = try #require(environment["PRIMESUM_TEST_TLS_DIR"])
        let key = try String(contentsOfFile: "\(directory)/client.key", encoding: .utf8)
        return [try #require(environment["PRIMESUM_TEST_TLS_PASSWORD"])]
            + key.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("-----") }
    }

    static var urlsTrustingAnotherCA: [String] {
        ["PRIMESUM_TEST_POSTGRES_TLS_URL", "PRIMESUM_TEST_REDIS_TLS_URL", "PRIMESUM_TEST_COUCHDB_TLS_URL"]
            .compactMap { environment[$0]?.replacingOccurrences(of: "/ca.pem", with: "/other-ca.pem") }
    }

    @Test(arguments: urlsTrustingAnotherCA)
    func aStoreWhoseCertificateDoesNotVerifyStopsServeWithExitCode2(_ url: String) throws {
        let outcome = try CommandRunner.run(["serve", "--http-port", "0", "--store-url", url])
        #expect(outcome.status == 2)
        #expect(!outcome.standardError.contains("waiting for"), "it retried: \(outcome.standardError)")
        let last = outcome.standardError.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.hasPrefix("primesum: cannot connect securely to the job store: "), "\(last)")
        #expect(last.contains("certificate is not trusted") && last.contains("other-ca.pem"), "\(last)")
        for secret in try Self.secrets() {
            #expect(!outcome.standardError.contains(secret) && !outcome.standardOutput.contains(secret))
        }
    }

    /// A replica on PostgreSQL over TLS (a client certificate and a password) computes a job;
    /// its log, its answers and its metrics hold neither.
    @Test func noSecretReachesTheLogAnAnswerOrAMetric() async throws {
        let directory = try #require(Self.environment["PRIMESUM_TEST_TLS_DIR"])
        let url =
            try #require(Self.postgres)
            + "&sslcert=\(directory)/client.pem&sslkey=\(directory)/client.key&schema=tls_process"
        let server = try await ServerProcess.start(["--store-url", url, "--workers-count", "1"])
        defer { server.process.terminate() }
        for _ in 0..<300 where try await MetricsTests.get("\(server.baseURL)/readyz").contains("store") {
            try await Task.sleep(for: .milliseconds(100))
        }
        let submitted = try CommandRunner.run(["submit", "10", "1000", "--wait", "--server", server.baseURL])
        #expect(submitted.status == 0 && submitted.standardOutput.contains("76110"), "\(submitted)")
        let metrics = try await MetricsTests.get("\(server.baseURL)/metrics")
        let ready = try await MetricsTests.get("\(server.baseURL)/readyz")
        #expect(metrics.contains("primesum_store_operation_seconds"))
        #expect(server.output.contains("postgres://primesum:***@localhost:54339"), "\(server.output)")
        for secret in try Self.secrets() {
            for text in [server.output, metrics, ready, submitted.standardOutput, submitted.standardError] {
                #expect(!text.contains(secret))
            }
        }
    }
}
