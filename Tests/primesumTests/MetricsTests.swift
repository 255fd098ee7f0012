import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `/metrics` of a real `primesum serve`, whose metrics are bootstrapped as in production.
@Suite struct MetricsTests {
    static func get(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }

    static func post(_ url: String, body: String, key: String? = nil) async throws -> Int {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let key { request.setValue(key, forHTTPHeaderField: "Idempotency-Key") }
        request.httpBody = Data(body.utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// The value of an unlabelled sample, or nil when the metric is absent.
    static func sample(_ name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap {
            Double($0.split(separator: " ")[1])
        }
    }

    @Test func submittedCountsQueuedJobsOnlyAndTheStoreIsMeasured() async throws {
        let server = try await ServerProcess.start([
            "--store-url", "sqlite:\(ServiceLifecycleTests.databasePath())", "--workers-count", "1",
        ])
        defer { server.process.terminate() }
        let submit = "\(server.baseURL)/sumPrime"
        #expect(try await Self.post(submit, body: #"{"a":1,"b":1000}"#, key: "k") == 202)
        #expect(try await Self.post(submit, body: #"{"a":1,"b":1000}"#, key: "k") < 300)  // deduplicated
        #expect(try await Self.post(submit, body: #"{"a":5,"b":5}"#) == 400)  // refused
        #expect(try await Self.post(submit, body: #"{"a":2,"b":1000}"#) == 202)
        let metrics = try await Self.get("\(server.baseURL)/metrics")
        #expect(Self.sample("primesum_jobs_submitted_total", in: metrics) == 2, "\(metrics)")
        #expect(metrics.contains(#"primesum_store_operation_seconds_count{operation="submit"} 3"#))
        #expect(metrics.contains(#"primesum_store_write_batch_size_count{store="sqlite"}"#))
        #expect(metrics.contains("primesum_queue_depth"))
    }
}
