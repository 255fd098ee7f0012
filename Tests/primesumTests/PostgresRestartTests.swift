import Foundation
import PrimeSum
import PrimeSumClient
import Synchronization
import Testing

/// Two replicas on PostgreSQL (fsync on) behind haproxy; sixteen clients submit tiny jobs without pause
/// while PostgreSQL is restarted again and again, alternating fast shutdowns (open transactions
/// aborted) and immediate ones (every process killed, crash recovery). Every id the service
/// answered 200 or 202 for must exist afterwards and finish with the right sum.
///
/// `PRIMESUM_PG_RESTARTS` sets how many restarts (default 4); `scripts/restart-bench` runs it
/// with 20, enough to hit the window between a statement's completion and its commit.
@Suite(.serialized) struct PostgresRestartTests {
    static let restarts = Int(ProcessInfo.processInfo.environment["PRIMESUM_PG_RESTARTS"] ?? "") ?? 4

    static func range(_ index: Int) throws -> PrimeRange {
        try PrimeRange(a: UInt64(index) * 1_009, b: UInt64(index) * 1_009 + 5_000)
    }

    @Test(.enabled(if: TestCluster.available, TestCluster.reason), .timeLimit(.minutes(15)))
    func restartingPostgresLosesNoAcceptedJob() async throws {
        var cluster = TestCluster()
        cluster.serveFlags =
            "--workers-count 2 --engine-threads 1 --rate-limit-submits-per-second 0 --rate-limit-polls-per-second 0"
        // fsync on, as PostgreSQL ships: commits then take a real flush, and a shutdown finds
        // backends between a statement's completion and its commit.
        cluster.environment["PRIMESUM_PG_FSYNC"] = "on"
        defer { _ = try? cluster.run("stop") }
        try #require(try cluster.run("start", "2") == 0)
        let client = PrimeSumClient(baseURL: cluster.balancer, timeout: .seconds(30))
        let serverErrors = ErrorCounter()
        let submits = Submits()

        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    while !submits.stopping.load(ordering: .relaxed) {
                        let index = submits.next.add(1, ordering: .relaxed).oldValue
                        let range = try Self.range(index)
                        let answer = try await TestCluster.retrying(serverErrors) {
                            () async throws(PrimeSumClientError) in
                            try await client.submit(
                                a: "\(range.a)", b: "\(range.b)", idempotencyKey: "restart-\(index)")
                        }
                        submits.accepted.withLock { $0[index] = answer.job.id }
                    }
                }
            }
            for restart in 0..<Self.restarts {
                try await Task.sleep(for: .milliseconds(1_500))
                let mode = restart.isMultiple(of: 2) ? "fast" : "immediate"
                try #require(try cluster.run("restart-postgres", mode) == 0)
            }
            try await Task.sleep(for: .milliseconds(1_000))
            submits.stopping.store(true, ordering: .relaxed)
            try await group.waitForAll()
        }

        let jobs = submits.accepted.withLock { $0 }.sorted { $0.key < $1.key }
        let engine = PrimeSumEngine(threads: 1)
        // Reads every accepted job to a terminal status, sixteen at a time.
        let outcomes = try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            var outcomes: [Int: Outcome] = [:]
            for (position, (index, id)) in jobs.enumerated() {
                if position >= 16, let (done, outcome) = try await group.next() { outcomes[done] = outcome }
                group.addTask {
                    let deadline = ContinuousClock.now + .seconds(60)
                    var job: JobSnapshot? = nil
                    while job?.isTerminal != true && ContinuousClock.now < deadline {
                        do {
                            job = try await TestCluster.retrying(serverErrors) {
                                () async throws(PrimeSumClientError) in
                                try await client.job(id: id, wait: 10)
                            }.job
                        } catch PrimeSumClientError.server(404, _, _, _) {
                            return (index, .lost)
                        }
                    }
                    let expected = try await engine.sum(try Self.range(index))
                    return (index, job?.status == "FINISHED" && job?.sum == "\(expected)" ? .right : .wrong)
                }
            }
            for try await (done, outcome) in group { outcomes[done] = outcome }
            return outcomes
        }
        let lost = outcomes.filter { $0.value == .lost }.keys.sorted()
        let wrong = outcomes.filter { $0.value == .wrong }.keys.sorted()
        print(
            "PostgresRestartTests: \(jobs.count) jobs accepted across \(Self.restarts) restarts; \(lost.count) vanished, \(wrong.count) wrong"
        )
        #expect(jobs.count > 100, "too few submits to say anything: \(jobs.count)")
        #expect(lost.isEmpty, "\(lost.count) of \(jobs.count) accepted jobs vanished: \(lost.prefix(10))")
        #expect(wrong.isEmpty, "\(wrong.count) jobs did not finish right: \(wrong.prefix(10))")
        #expect(serverErrors.count.load(ordering: .relaxed) == 0)
    }
}

private enum Outcome { case right, wrong, lost }

/// What the submitting clients share: the next index, the ids accepted, and when to stop.
private final class Submits: Sendable {
    let next = Atomic<Int>(0)
    let accepted = Mutex<[Int: String]>([:])
    let stopping = Atomic<Bool>(false)
}
