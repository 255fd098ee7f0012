import Foundation
import Testing

/// Three replicas on one Redis (append-only file, `appendfsync always`, as docs/redis.md
/// recommends) behind haproxy; sixteen clients submit tiny jobs without pause while a replica is
/// SIGKILLed and started again, and Redis is restarted, once gracefully and once by SIGKILL
/// (it replays its append-only file). Every accepted job must finish with the right sum, its
/// result written exactly once, and no request may get a 500.
@Suite(.serialized) struct RedisFaultTests {
    static let available =
        TestCluster.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server")

    @Test(
        .enabled(if: available, "needs haproxy and redis-server (scripts/setup installs both)"),
        .timeLimit(.minutes(10)))
    func killingAReplicaAndRestartingRedisLosesNothing() async throws {
        var cluster = TestCluster()
        cluster.environment["PRIMESUM_CLUSTER_STORE"] = "redis"
        cluster.environment["PRIMESUM_REDIS_PORT"] = "\(cluster.port + 101)"
        defer { cluster.tearDown() }
        try #require(try cluster.run("start", "3") == 0)
        // Each fault once 30 more jobs were accepted (not after a time a loaded machine stretches).
        let outcome = try await SubmitThroughFaults.run(cluster, keyPrefix: "redis-fault") { submits in
            try await submits.awaitAccepted(atLeast: 30)
            try #require(try cluster.run("kill", "2") == 0)
            try await submits.awaitAccepted(atLeast: 60)
            try #require(try cluster.run("revive", "2") == 0)
            try await submits.awaitAccepted(atLeast: 90)
            try #require(try cluster.run("restart-redis", "kill") == 0)
            try await submits.awaitAccepted(atLeast: 120)
            try #require(try cluster.run("restart-redis", "graceful") == 0)
            try await submits.awaitAccepted(atLeast: 150)
        }
        outcome.expectNothingLost("RedisFaultTests")
        let finishes = try cluster.finishCounts()
        let twice = outcome.accepted.values.filter { (finishes[$0] ?? 0) > 1 }
        #expect(twice.isEmpty, "\(twice.count) results written twice: \(twice.prefix(10))")
    }
}
