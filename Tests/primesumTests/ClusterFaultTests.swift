import Foundation
import PrimeSum
import PrimeSumClient
import Synchronization
import Testing

/// Three replicas on PostgreSQL behind haproxy (`scripts/cluster`), 2,000 jobs of mixed size:
/// one replica is killed and started again, then PostgreSQL is stopped and started, mid-run.
/// Every accepted job must end FINISHED with the right sum, its result written once, and no
/// request may get a 500.
@Suite(.serialized) struct ClusterFaultTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
    static let available =
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy")
        && FileManager.default.fileExists(atPath: "/usr/lib/postgresql")
    static let reason: Comment = "needs haproxy and PostgreSQL (scripts/setup installs both)"

    /// Runs `scripts/cluster` with the test's own directory and ports.
    struct Cluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "primesum-cluster-\(UUID())")
        let port = Int.random(in: 30_000...40_000)

        var balancer: String { "http://127.0.0.1:\(port)" }

        /// Runs `scripts/cluster` to completion. posix_spawn and waitpid rather than Foundation's
        /// Process, whose wait never returns when the script leaves daemons behind.
        @discardableResult
        func run(_ arguments: String...) throws -> Int32 {
            var environment = ProcessInfo.processInfo.environment
            environment["PRIMESUM_CLUSTER_DIR"] = directory.path
            environment["PRIMESUM_CLUSTER_PORT"] = "\(port)"
            environment["PRIMESUM_PG_PORT"] = "\(port + 100)"
            environment["PRIMESUM_BIN"] = CommandRunner.binary.path
            environment["PRIMESUM_SERVE_FLAGS"] =
                "--workers-count 1 --engine-threads 1 --lease-seconds 3 --rate-limit-submits-per-second 0 --rate-limit-polls-per-second 0"
            let script = ClusterFaultTests.repository.appendingPathComponent("scripts/cluster").path
            let argv = ([script] + arguments).map { strdup($0) } + [nil]
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { (argv + envp).forEach { free($0) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, script, nil, nil, argv, envp) == 0 else {
                throw ServerProcessError(message: "cannot run \(script)")
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            return (status >> 8) & 0xff
        }

        /// How many times each job id was logged as FINISHED by a worker, over all replicas.
        func finishCounts() throws -> [String: Int] {
            var counts: [String: Int] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
            where name.hasSuffix(".log") {
                let log = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                for line in log.split(separator: "\n") where line.hasSuffix("[PrimeSumJobs] FINISHED") {
                    guard let range = line.range(of: "job=") else { continue }
                    counts[line[range.upperBound...].prefix(36).lowercased(), default: 0] += 1
                }
            }
            return counts
        }
    }

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

    /// Retries what a balancer in front of failing replicas may answer (502, 503, 504, no
    /// answer); counts 500s, which must never happen.
    static func retrying<T>(
        _ serverErrors: ErrorCounter, _ operation: () async throws(PrimeSumClientError) -> T
    ) async throws -> T {
        var delay = Duration.milliseconds(100)
        for _ in 0..<60 {
            do {
                return try await operation()
            } catch {
                switch error {
                case .server(let status, _, _, let retryAfter) where [502, 503, 504, 429].contains(status):
                    try await Task.sleep(for: min(delay, .seconds(retryAfter ?? 1)))
                case .server(500, _, _, _):
                    serverErrors.count.add(1, ordering: .relaxed)
                    throw error
                case .transport:
                    try await Task.sleep(for: delay)
                default:
                    throw error
                }
                delay = min(delay * 2, .seconds(2))
            }
        }
        throw PrimeSumClientError.transport("gave up after 60 attempts")
    }

    @Test(.enabled(if: available, reason), .timeLimit(.minutes(10)))
    func killingAReplicaAndRestartingPostgresLosesNothing() async throws {
        let cluster = Cluster()
        defer { _ = try? cluster.run("stop") }
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
                        let answer = try await Self.retrying(serverErrors) {
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
            var job = try await Self.retrying(serverErrors) { () async throws(PrimeSumClientError) in
                try await client.job(id: id, wait: 20)
            }.job
            let deadline = ContinuousClock.now + .seconds(180)
            while !job.isTerminal && ContinuousClock.now < deadline {
                job = try await Self.retrying(serverErrors) { () async throws(PrimeSumClientError) in
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
        #expect(
            ids.allSatisfy { counts[$0.lowercased()] == 1 }, "some job's result was written twice or never")
    }
}

/// Counts the 500s the cluster answered.
final class ErrorCounter: Sendable {
    let count = Atomic<Int>(0)
}
