import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PrimeSum
import PrimeSumSQLite
import Prometheus
import Testing

@testable import PrimeSumServer

/// The real server on SQLite in a temporary directory, over real HTTP: the first 200 queries of
/// the seed's scale test, sent as the original load test sent them (a and b as strings).
@Suite struct LiveSeedWorkloadTests {
    static func seedQueries(_ count: Int) throws -> [(a: String, b: String)] {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = repository.deletingLastPathComponent().appendingPathComponent(
            "shared/workloads/seed-small-queries.csv")
        return try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline).prefix(count)
            .map { line in
                let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                return (fields[0], fields[1])
            }
    }

    @Test func theSeedQueriesFinishWithTheEnginesSums() async throws {
        let queries = try Self.seedQueries(200)
        #expect(queries.count == 200)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "primesum-live-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.submitLimit.perSecond = 0
        let app = try buildApplication(
            configuration: configuration,
            store: SQLiteJobStore(path: directory.appendingPathComponent("jobs.sqlite").path),
            metrics: PrometheusCollectorRegistry(), logger: Logger(label: "live"))
        let engine = PrimeSumEngine(threads: 1)
        try await app.test(.live) { client in
            var ids: [String] = []
            for query in queries {
                let body = ByteBuffer(string: #"{"a":"\#(query.a)","b":"\#(query.b)"}"#)
                try await client.execute(uri: "/sumPrime", method: .post, headers: APITests.json, body: body)
                { response in
                    #expect(response.status == .accepted || response.status == .ok)
                    ids.append(APITests.field(response.body, "_id") ?? "")
                }
            }
            for (id, query) in zip(ids, queries) {
                let expected = try await engine.sum(PrimeRange(parsingA: query.a, b: query.b))
                try await client.execute(uri: "/sumPrime/\(id)?wait=30", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(APITests.field(response.body, "status") == "FINISHED")
                    #expect(APITests.field(response.body, "sum") == "\(expected)", "[\(query.a), \(query.b))")
                }
            }
        }
    }
}
