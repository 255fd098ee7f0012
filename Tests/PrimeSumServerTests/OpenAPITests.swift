import Foundation
import Logging
import PrimeSum
import PrimeSumJobs
import Prometheus
import Testing

@testable import PrimeSumServer

/// openapi.yaml at the root must describe every route the router serves.
@Suite struct OpenAPITests {
    @Test func everyRouteIsInTheSpec() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let spec = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        let router = buildRouter(
            configuration: ServerConfiguration(), store: MemoryJobStore(), engine: PrimeSumEngine(threads: 1),
            metrics: PrometheusCollectorRegistry(), drain: DrainState())
        #expect(router.routes.count >= 6)
        for route in router.routes {
            let path = "\(route.path)".hasPrefix("/") ? "\(route.path)" : "/\(route.path)"
            let block = try #require(
                spec.components(separatedBy: "\n  \(path):\n").dropFirst().first,
                "\(path) is missing from openapi.yaml")
            let pathBlock = block.components(separatedBy: "\n  /").first ?? block
            #expect(
                pathBlock.contains("    \(route.method.rawValue.lowercased()):"),
                "\(route) is missing from openapi.yaml")
        }
    }
}
