import Foundation
import PrimeSum
import PrimeSumClient
import Testing

/// Three replicas on PostgreSQL behind haproxy (`scripts/cluster`), 2,000 jobs of mixed size:
/// one replica is killed and started again, then PostgreSQL is stopped and started, mid-run.
/// Every accepted job must end FINISHED with the right sum, its result written once, and no
/// request may get a 500.
@Suite(.serialized) struct ClusterFaultTests {
    static func range(_ index: Int) -> PrimeRange {
        if index % 100 == 0 {
            return try! PrimeRange(
                a: 1_000_000_000_000 + UInt64(index) * 1_000_000_000,
                b: 1_000_000_000_000 + UInt64(index) * 1_000_000_000 + 300_000_000)
        }
        if index % 10 == 0 {
            return try! PrimeRange(
                a: 100_000_000_000 + UInt64(index) * 100_000_000,
                b: 100_000_000_000 + UInt64(index) * 100_000_000 + 30_000_000)
        }
        return try! PrimeRange(a: UInt64(index) * 150, b: UInt64(index) * 150 + 2_000_000)
    }

    @Test(.enabled(if: TestCluster.available, TestCluster.reason), .timeLimit(.minutes(10)))
    func killingAReplicaAndRestartingPostgresLosesNothing() async throws {
        let cluster = TestCluster()
        defer { cluster.tearDown() }
        try #require(try cluster.run("start", "3") == 0)
        let client = PrimeSumClient(baseURL: cluster.balancer, timeout: .seconds(30))
        let serverErrors = ErrorCounter()
        let total = 2_000
        var ids: [String] = Array(repeating: "", count: total)
        for batch in stride(from: 0, to: total, by: 20) {
            if batch == 500 {
                try cluster.run("kill", "2")
                try await Task.sleep(for: .seconds(1))
                try cluster.run("revive", "2")
            }
            if batch == 1_200 { try cluster.run("restart-postgres") }
            let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in batch..<min(batch + 20, total) {
                    group.addTask {
                        let range = Self.range(index)
                        let answer = try await TestCluster.retrying(serverErrors) {
                            () async throws(PrimeSumClientError) in
                            try await client.submit(
                                a: "\(range.a)", b: "\(range.b)", idempotencyKey: "fault-\(index)")
                        }
                        return (index, answer.job.id)
                    }
                }
                return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
            }
            for (index, id) in answers { ids[index] = id }
        }

        let engine = PrimeSumEngine(threads: 1)
        var wrong: [String] = []
        for (index, id) in ids.enumerated() {
            var job = try await TestCluster.retrying(serverErrors) { () async throws(PrimeSumClientError) in
                try await client.job(id: id, wait: 20)
            }.job
            let deadline = ContinuousClock.now + .seconds(180)
            while !job.isTerminal && ContinuousClock.now < deadline {
                job = try await TestCluster.retrying(serverErrors) { () async throws(PrimeSumClientError) in
                    try await client.job(id: id, wait: 20)
                }.job
            }
            let expected = try await engine.sum(Self.range(index))
            if job.status != "FINISHED" || job.sum != "\(expected)" {
                wrong.append("\(index): \(job.status)")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) jobs did not finish right: \(wrong.prefix(5))")
        #expect(serverErrors.count.load(ordering: .relaxed) == 0)
        let counts = try cluster.finishCounts()
        #expect(Set(ids.map { $0.lowercased() }).count == total)
        // Every job is FINISHED with the right sum (above); no worker may have written one twice.
        // (A job can have no line at all: the killed replica may die between a commit and its
        // log line, which is why "never" is checked in the store, not in the logs.)
        let twice = ids.filter { (counts[$0.lowercased()] ?? 0) > 1 }
        #expect(twice.isEmpty, "\(twice.count) jobs' results were written twice: \(twice.prefix(5))")
        #expect(counts.count >= total - 20, "only \(counts.count) of \(total) jobs logged as finished")
    }
}
