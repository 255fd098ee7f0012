import Foundation
import PrimeSumAPI
import PrimeSumClient
import Testing

/// One job split into parts on three replicas (PostgreSQL, haproxy; `scripts/cluster`), one
/// replica SIGKILLed halfway: the job finishes with the exact sum, every replica computed
/// parts, and only what the killed replica was computing is computed again.
@Suite(.serialized) struct SplitJobFaultTests {
    /// [1e16, 1e16 + 5e10): about 20 s of sieving on one thread; in parts of 0.5 s, each with a
    /// set-up of about 0.09 s (allowed by `jobs.partSetUpShare` 0.25), about 40 parts.
    /// Its sum came from `primesum sum` by the sieve and agreed with S(b - 1) - S(a - 1) by the
    /// prefix method (`--method sieve`, `--method prefix`).
    static let a = "10000000000000000"
    static let b = "10000050000000000"
    static let expected = "13571604408717420439588194"

    @Test(.enabled(if: TestCluster.available, TestCluster.reason), .timeLimit(.minutes(10)))
    func aReplicaKilledHalfwayCostsOnlyThePartItWasComputing() async throws {
        var cluster = TestCluster()
        cluster.serveFlags += " --jobs-split-seconds 0.5 --jobs-part-set-up-share 0.25"
        defer { cluster.tearDown() }
        try #require(try cluster.run("start", "3") == 0)
        let client = PrimeSumClient(baseURL: cluster.balancer, timeout: .seconds(30))
        let serverErrors = ErrorCounter()
        let id = try await TestCluster.retrying(serverErrors) { () async throws(PrimeSumClientError) in
            try await client.submit(a: Self.a, b: Self.b, idempotencyKey: "split-fault")
        }.job.id

        var halfway: JobDocument.Parts?
        let deadline = ContinuousClock.now + .seconds(300)
        while halfway == nil && ContinuousClock.now < deadline {
            let job = try await TestCluster.retrying(serverErrors) { () async throws(PrimeSumClientError) in
                try await client.job(id: id)
            }.job
            if let parts = job.parts, parts.finished * 2 >= parts.total { halfway = parts }
            try await Task.sleep(for: .milliseconds(100))
        }
        let atKill = try #require(halfway, "the job never got halfway")
        #expect(atKill.total >= 30, "only \(atKill.total) parts")
        let doneByTheKilled = try cluster.partsFinished(byReplica: 2)
        try cluster.run("kill", "2")

        var job = try await TestCluster.retrying(serverErrors) { () async throws(PrimeSumClientError) in
            try await client.job(id: id, wait: 20)
        }.job
        while !job.isTerminal && ContinuousClock.now < deadline {
            job = try await TestCluster.retrying(serverErrors) { () async throws(PrimeSumClientError) in
                try await client.job(id: id, wait: 20)
            }.job
        }
        #expect(job.status == "FINISHED" && job.sum == Self.expected, "\(job.status) \(job.sum ?? "-")")
        let parts = try #require(job.parts)
        #expect(parts.finished == parts.total && parts.running == 0)
        // Each replica has one worker: the killed one was computing at most one part, which
        // its lease's lapse gives to another replica; no part finished before the kill runs
        // again.
        #expect(
            parts.attempts <= parts.total + 1,
            "\(parts.attempts) computations of \(parts.total) parts (\(atKill.finished) done at the kill)")
        #expect(doneByTheKilled > 0, "the killed replica had computed no part")
        for replica in [1, 3] {
            #expect(try cluster.partsFinished(byReplica: replica) > 0, "replica \(replica) computed no part")
        }
        #expect(serverErrors.count.load(ordering: .relaxed) == 0)
    }
}
