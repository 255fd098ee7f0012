import Foundation
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

    @Test(.enabled(if: TestCluster.available, TestCluster.reason), .timeLimit(.minutes(15)))
    func restartingPostgresLosesNoAcceptedJob() async throws {
        var cluster = TestCluster()
        cluster.serveFlags =
            "--workers-count 2 --engine-threads 1 --rate-limit-submits-per-second 0 --rate-limit-polls-per-second 0"
        // fsync on, as PostgreSQL ships: commits then take a real flush, and a shutdown finds
        // backends between a statement's completion and its commit.
        cluster.environment["PRIMESUM_PG_FSYNC"] = "on"
        defer { cluster.tearDown() }
        try #require(try cluster.run("start", "2") == 0)
        // Each restart once 30 more jobs were accepted: however loaded the machine, the
        // restarts hit a stream of submits, and enough of them to say something.
        let outcome = try await SubmitThroughFaults.run(cluster, keyPrefix: "restart") { submits in
            for restart in 0..<Self.restarts {
                try await submits.awaitAccepted(atLeast: 30 * (restart + 1))
                let mode = restart.isMultiple(of: 2) ? "fast" : "immediate"
                try #require(try cluster.run("restart-postgres", mode) == 0)
            }
            try await submits.awaitAccepted(atLeast: 30 * (Self.restarts + 1))
        }
        outcome.expectNothingLost("PostgresRestartTests", detail: " across \(Self.restarts) restarts")
    }
}
