import Foundation
import Testing

/// `primesum loadtest` against a real server: every flow mode finishes its jobs without error,
/// and the JSON summary has what scripts rely on.
@Suite struct LoadtestCommandTests {
    @Test(arguments: ["poll", "retry-after", "long-poll", "prefer-wait"])
    func eachModeFinishesEveryJob(_ mode: String) async throws {
        let server = try await ServerProcess.start([
            "--store-url", "memory:", "--rate-limit-submits-per-second", "0", "--rate-limit-polls-per-second",
            "0",
        ])
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("loadtest-\(UUID()).json")
            .path
        let outcome = try CommandRunner.run([
            "loadtest", "--target", server.baseURL, "--rate", "10", "--duration", "2", "--mode", mode,
            "--think", "0.2",
            "--sizes", "mixed", "--json", json, "--report", json + ".html",
        ])
        #expect(outcome.status == 0, "\(outcome.standardOutput)\(outcome.standardError)")
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
                as? [String: Any])
        #expect(summary["launched"] as? Int == 20)
        #expect(summary["finished"] as? Int == 20)
        #expect((summary["errors"] as? [String: Any])?.isEmpty == true)
        for field in [
            "endToEnd", "requestLatency", "requestsPerJob", "statusCodes", "timeline", "jobsPerSecond",
        ] {
            #expect(summary[field] != nil, "\(field) is missing")
        }
        let report = try String(contentsOfFile: json + ".html", encoding: .utf8)
        #expect(report.contains("<svg") && report.contains("<polyline") && !report.contains("<script"))
        let endToEnd = try #require(summary["endToEnd"] as? [String: Any])
        for percentile in ["min", "p50", "p90", "p95", "p99", "max"] {
            #expect(endToEnd[percentile] is Double)
        }
        try await server.stop(signal: SIGTERM)
    }

    /// A client over its rate (429) and a full queue (503): both answers are counted, and the
    /// tool waits their Retry-After and submits again until every job is in.
    @Test(arguments: [
        (["--rate-limit-submits-per-second", "4", "--rate-limit-submit-burst", "2"], "429"),
        (["--queue-capacity", "1", "--workers-count", "1"], "503"),
    ])
    func refusedSubmitsAreCountedAndRetriedAfterRetryAfter(_ flags: [String], code: String) async throws {
        let server = try await ServerProcess.start(["--store-url", "memory:"] + flags)
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("loadtest-\(UUID()).json")
            .path
        let outcome = try CommandRunner.run([
            "loadtest", "--target", server.baseURL, "--rate", "10", "--duration", "1", "--mode", "long-poll",
            "--json", json,
        ])
        #expect(outcome.status == 0, "\(outcome.standardOutput)\(outcome.standardError)")
        let summary = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json)))
                as? [String: Any])
        #expect((summary["statusCodes"] as? [String: Int])?[code] ?? 0 > 0)
        #expect(summary["finished"] as? Int == 10)
        try await server.stop(signal: SIGTERM)
    }

    @Test func findMaxStepsTheRateUntilTheBoundFails() async throws {
        let server = try await ServerProcess.start([
            "--store-url", "memory:", "--rate-limit-submits-per-second", "0", "--rate-limit-polls-per-second",
            "0",
        ])
        let outcome = try CommandRunner.run([
            "loadtest", "--target", server.baseURL, "--find-max", "--rate", "20", "--duration", "1",
            "--p99-bound", "1",
        ])
        // A 1 ms bound fails at some step: the steps are printed, then the verdict.
        #expect(outcome.standardOutput.contains("rate 20.0/s"))
        #expect(outcome.standardOutput.contains("fail"))
        #expect(
            outcome.standardOutput.contains("highest rate")
                || outcome.standardOutput.contains("no rate passed"))
        try await server.stop(signal: SIGTERM)
    }

    @Test func nonLoopbackTargetsAreRefused() throws {
        let outcome = try CommandRunner.run([
            "loadtest", "--target", "http://10.0.0.1:8080", "--duration", "1",
        ])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("loopback"))
    }
}
