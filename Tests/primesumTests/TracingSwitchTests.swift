import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `serve` traces only when an `OTEL_*` variable asks for an exporter; then a job continues
/// the trace of the `traceparent` it was submitted with. (scripts/tracing-test follows such a
/// trace across replicas into a real OTLP receiver.)
@Suite struct TracingSwitchTests {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"

    /// The `traceId` of a job submitted with a `traceparent` of `traceID`.
    func traceIdOfAJob(environment: [String: String]) async throws -> String? {
        let server = try await ServerProcess.start(
            ["--store-url", "memory:", "--workers-count", "0"], environment: environment)
        defer { #expect(server.process.isRunning, "\(server.output)") }
        defer { server.process.terminate() }
        var request = URLRequest(url: URL(string: "\(server.baseURL)/sumPrime")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("00-\(Self.traceID)-00f067aa0ba902b7-01", forHTTPHeaderField: "traceparent")
        request.httpBody = Data(#"{"a":"10","b":"1000"}"#.utf8)
        let (body, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 202)
        let document = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(document["_id"] is String)
        return document["traceId"] as? String
    }

    @Test func aJobHasNoTraceWhenNoVariableAsksForTracing() async throws {
        #expect(try await traceIdOfAJob(environment: ["OTEL_SERVICE_NAME": "primesum-test"]) == nil)
        #expect(try await traceIdOfAJob(environment: ["OTEL_TRACES_EXPORTER": "none"]) == nil)
    }

    @Test func aJobContinuesTheTraceItWasSubmittedIn() async throws {
        // No receiver listens there: the spans are lost, the job's trace is not.
        let environment = [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_BSP_SCHEDULE_DELAY": "60000",
        ]
        #expect(try await traceIdOfAJob(environment: environment) == Self.traceID)
    }

    @Test func anExporterOtherThanOTLPIsAUsageError() throws {
        let run = try CommandRunner.run(
            ["serve", "--http-port", "0", "--store-url", "memory:"],
            environment: ["OTEL_TRACES_EXPORTER": "zipkin"])
        #expect(run.status == 2)
        #expect(run.standardError.contains("OTEL_TRACES_EXPORTER=zipkin is not supported"), "\(run)")
    }
}
