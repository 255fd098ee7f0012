import Foundation
import PrimeSum
import PrimeSumAPI
import PrimeSumClient
import Synchronization
import Testing

/// Sixteen clients submit tiny jobs without pause through a cluster's balancer while `faults`
/// runs, then every job the service accepted (answered 200 or 202 for) is read to its end and
/// its sum checked. The fault tests of the shared stores run their faults through it.
struct SubmitThroughFaults {
    /// What became of the accepted jobs.
    struct Outcome {
        /// Submit index → job id.
        var accepted: [Int: String]
        /// Accepted jobs that came back 404, and jobs that ended otherwise than FINISHED with the right sum.
        var lost: [Int]
        var wrong: [Int]
        /// 500s answered, which must never happen.
        var serverErrors: Int

        /// Prints what happened under `test`'s name, then expects enough accepted jobs to say
        /// something, none lost, none wrong and no 500.
        func expectNothingLost(_ test: String, detail: String = "") {
            let jobs = accepted.count
            print("\(test): \(jobs) jobs accepted\(detail); \(lost.count) vanished, \(wrong.count) wrong")
            #expect(jobs > 100, "too few submits to say anything: \(jobs)")
            #expect(lost.isEmpty, "\(lost.count) of \(jobs) accepted jobs vanished: \(lost.prefix(10))")
            #expect(wrong.isEmpty, "\(wrong.count) jobs did not finish right: \(wrong.prefix(10))")
            #expect(serverErrors == 0)
        }
    }

    static func range(_ index: Int) throws -> PrimeRange {
        try PrimeRange(a: UInt64(index) * 1_009, b: UInt64(index) * 1_009 + 5_000)
    }

    /// `faults` may pace itself by the jobs accepted so far (`Submits.awaitAccepted(atLeast:)`)
    /// rather than by the clock, which a loaded machine stretches.
    static func run(
        _ cluster: TestCluster, keyPrefix: String, clients: Int = 16,
        faults: (_ submits: Submits) async throws -> Void
    ) async throws -> Outcome {
        let client = PrimeSumClient(baseURL: cluster.balancer, timeout: .seconds(30))
        let serverErrors = ErrorCounter()
        let submits = Submits()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    while !submits.stopping.load(ordering: .relaxed) {
                        let index = submits.next.add(1, ordering: .relaxed).oldValue
                        let range = try Self.range(index)
                        let answer = try await TestCluster.retrying(serverErrors) {
                            () async throws(PrimeSumClientError) in
                            try await client.submit(
                                a: "\(range.a)", b: "\(range.b)", idempotencyKey: "\(keyPrefix)-\(index)")
                        }
                        submits.accepted.withLock { $0[index] = answer.job.id }
                    }
                }
            }
            try await faults(submits)
            submits.stopping.store(true, ordering: .relaxed)
            try await group.waitForAll()
        }

        let accepted = submits.accepted.withLock { $0 }
        let engine = PrimeSumEngine(threads: 1)
        // Reads every accepted job to a terminal status, sixteen at a time.
        let results = try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results: [Int: Result] = [:]
            for (position, (index, id)) in accepted.sorted(by: { $0.key < $1.key }).enumerated() {
                if position >= 16, let (done, result) = try await group.next() { results[done] = result }
                group.addTask {
                    let deadline = ContinuousClock.now + .seconds(60)
                    var job: JobDocument? = nil
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
            for try await (done, result) in group { results[done] = result }
            return results
        }
        return Outcome(
            accepted: accepted, lost: results.filter { $0.value == .lost }.keys.sorted(),
            wrong: results.filter { $0.value == .wrong }.keys.sorted(),
            serverErrors: serverErrors.count.load(ordering: .relaxed))
    }

    private enum Result { case right, wrong, lost }

    /// What the submitting clients share: the next index, the ids accepted, and when to stop.
    final class Submits: Sendable {
        fileprivate let next = Atomic<Int>(0)
        fileprivate let accepted = Mutex<[Int: String]>([:])
        fileprivate let stopping = Atomic<Bool>(false)

        /// Returns once `count` jobs were accepted; throws when they were not within 60 s.
        func awaitAccepted(atLeast count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while accepted.withLock({ $0.count }) < count {
                guard ContinuousClock.now < deadline else {
                    throw ServerProcessError(message: "fewer than \(count) jobs accepted in 60 s")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}
