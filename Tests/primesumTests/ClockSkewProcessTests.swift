import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The issue as a user met it: two `primesum serve` replicas on one Redis, the worker's clock
/// 3 s behind the API replica's (libfaketime, as the issue reproduced it). The worker's
/// `/metrics` answered nothing after the job: a negative queue wait in its histogram had
/// stopped the process. (Redis, whose notification wakes the worker at once: libfaketime slows
/// a process's timers, so an idle poll on SQLite came too late for the skew to show; minutes of
/// skew on SQLite are `ClockSkewTests`, in-process.) Its `/metrics` answered nothing after the
/// job: a negative queue wait in its histogram had stopped the process.
@Suite(
    .enabled(
        if: FileManager.default.fileExists(atPath: ServerProcess.libfaketime),
        "libfaketime is not installed (scripts/setup installs the faketime package)"),
    .enabled(
        if: ProcessInfo.processInfo.environment["PRIMESUM_TEST_REDIS_URL"] != nil,
        "PRIMESUM_TEST_REDIS_URL is not set: run scripts/test, which starts Redis"))
struct ClockSkewProcessTests {
    @Test func aWorkerWhoseClockIsBehindKeepsServingMetrics() async throws {
        let redis = ProcessInfo.processInfo.environment["PRIMESUM_TEST_REDIS_URL"] ?? ""
        let store = "\(redis)?prefix=clock-\(UUID().uuidString.prefix(8).lowercased())"
        let api = try await ServerProcess.start(["--store-url", store, "--role", "api"])
        defer { api.process.terminate() }
        let worker = try await ServerProcess.start(
            ["--store-url", store, "--role", "worker"], clockOffset: -3)
        defer { worker.process.terminate() }
        var request = URLRequest(url: URL(string: "\(api.baseURL)/sumPrime")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("wait=10", forHTTPHeaderField: "Prefer")
        request.httpBody = Data(#"{"a":1000,"b":1500}"#.utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            document["status"] as? String == "FINISHED" && document["sum"] as? String == "88913",
            "\(document)")
        #expect((document["queuedTimeMs"] as? Int ?? -1) >= 0)
        let created = try #require(document["createdAt"] as? String)
        let started = try #require(document["startedAt"] as? String)
        let finished = try #require(document["finishedAt"] as? String)
        // ISO 8601 with milliseconds in UTC: in order as text when in order as instants.
        #expect(created <= started && started <= finished)
        let metrics = try await MetricsTests.get("\(worker.baseURL)/metrics")
        #expect(metrics.contains("primesum_job_queue_wait_seconds_count 1"), "\(metrics)")
        #expect(worker.process.isRunning, "\(worker.output)")
    }
}
