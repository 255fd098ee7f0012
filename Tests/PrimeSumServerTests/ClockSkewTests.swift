import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PrimeSum
import PrimeSumJobs
import PrimeSumSQLite
import Prometheus
import Testing

@testable import PrimeSumServer

/// Two replicas on one SQLite file, the worker's clock 10 minutes behind the clock of the
/// replica that created the job (as `faketime -600s` sets it): the job's times stay in order,
/// its queue wait is zero rather than -10 minutes, and the worker's `/metrics` still renders (a negative wait
/// in its histogram stopped the process with a runtime trap).
@Suite struct ClockSkewTests {
    @Test func aWorkerWhoseClockIsBehindTheCreatorsRecordsNoNegativeWait() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("primesum-\(UUID()).sqlite")
            .path
        let creator = try SQLiteJobStore(path: path)
        let behind = try SQLiteJobStore(
            path: path, clock: StoreClock(local: { Date().addingTimeInterval(-600) }))
        var configuration = ServerConfiguration()
        configuration.role = .worker
        configuration.workers = 1
        configuration.idlePollInterval = .milliseconds(50)
        let registry = PrometheusCollectorRegistry()
        let app = try buildApplication(
            configuration: configuration, store: behind, engine: PrimeSumEngine(threads: 1),
            metrics: registry,
            logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let now = creator.clock.now()
            let id = try await creator.submit(
                Job(a: 1_000, b: 1_500, createdAt: now, expiresAt: now.addingTimeInterval(600))
            ).job.id
            var job = try #require(try await creator.job(id: id))
            for _ in 0..<200 where !job.status.isTerminal {
                try await Task.sleep(for: .milliseconds(50))
                job = try #require(try await creator.job(id: id))
            }
            #expect(job.status == .finished && job.sum == 88_913)
            let startedAt = try #require(job.startedAt)
            let finishedAt = try #require(job.finishedAt)
            #expect(job.createdAt <= startedAt && startedAt <= finishedAt)
            #expect(job.queuedTimeMs(now: creator.clock.now()) == 0)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("primesum_job_queue_wait_seconds_count 1"), "\(text)")
                #expect(text.contains("primesum_job_queue_wait_seconds_sum 0.0"), "\(text)")
            }
            // The document as the worker's replica shows it.
            try await client.execute(uri: "/sumPrime/\(id.uuidString.lowercased())", method: .get) {
                response in
                let document = try APITests.object(response.body)
                #expect(document["queuedTimeMs"] as? Int == 0)
                #expect((document["processingTimeMs"] as? Int ?? -1) >= 0)
            }
        }
    }
}
