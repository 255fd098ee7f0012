import Foundation
import PrimeSum
import PrimeSumAPI
import PrimeSumClient
import Synchronization
import Testing

/// `primesum serve` as a real child process on SQLite: killed or stopped mid-run, then
/// started again on the same file, it finishes every job it accepted, with the right sum.
@Suite(.serialized) struct ServiceLifecycleTests {
    static func databasePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("primesum-lifecycle-\(UUID()).sqlite")
            .path
    }

    /// `count` ranges above 1e10, `width` wide; the first `wide` of them start at 1e15 and are
    /// `wideWidth` wide, which neither method computes in under a second.
    static func ranges(_ count: Int, width: UInt64, wide: Int = 0, wideWidth: UInt64 = 0) -> [PrimeRange] {
        (0..<count).map { index in
            let a = (index < wide ? 1_000_000_000_000_000 : 10_000_000_000) + UInt64(index) * 10_000_000_019
            return try! PrimeRange(a: a, b: a + (index < wide ? wideWidth : width))
        }
    }

    /// The first of `jobs` that is IN_PROGRESS, if any.
    static func runningJob(among jobs: [(String, PrimeRange)], on server: ServerProcess) async throws
        -> String?
    {
        let client = PrimeSumClient(baseURL: server.baseURL)
        for (id, _) in jobs {
            if try await client.job(id: id).job.status == "IN_PROGRESS" { return id }
        }
        return nil
    }

    /// Waits up to two seconds for one of `jobs` to be IN_PROGRESS; its id, or nil.
    static func awaitRunningJob(among jobs: [(String, PrimeRange)], on server: ServerProcess) async throws
        -> String?
    {
        for _ in 0..<100 {
            if let id = try await runningJob(among: jobs, on: server) { return id }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Submits in order, eight requests in flight at a time; returns (id, range) in order.
    static func submitAll(_ ranges: [PrimeRange], to server: ServerProcess) async throws -> [(
        String, PrimeRange
    )] {
        let client = PrimeSumClient(baseURL: server.baseURL)
        var accepted: [(String, PrimeRange)] = []
        for batch in stride(from: 0, to: ranges.count, by: 8).map({
            Array(ranges[$0..<min($0 + 8, ranges.count)])
        }) {
            let ids = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (index, range) in batch.enumerated() {
                    group.addTask {
                        (index, try await client.submit(a: "\(range.a)", b: "\(range.b)").job.id)
                    }
                }
                return try await group.reduce(into: [Int: String]()) { $0[$1.0] = $1.1 }
            }
            accepted += batch.indices.map { (ids[$0]!, batch[$0]) }
        }
        return accepted
    }

    /// Long-polls every job to a terminal status and checks it finished with the engine's sum.
    /// When the server cannot be reached, the failure says whether it is still running and
    /// what it logged last.
    static func expectAllFinished(_ jobs: [(String, PrimeRange)], on server: ServerProcess) async throws {
        let client = PrimeSumClient(baseURL: server.baseURL)
        let engine = PrimeSumEngine(threads: 1)
        var wrong: [String] = []
        func read(_ id: String, wait: Int? = nil) async throws -> JobDocument {
            do {
                return try await client.job(id: id, wait: wait).job
            } catch {
                let state =
                    server.process.isRunning
                    ? "still running" : "gone (status \(server.process.terminationStatus))"
                throw ServerProcessError(
                    message: "\(error); the server is \(state); its log ends: \(server.output.suffix(3_000))")
            }
        }
        for (id, range) in jobs {
            var job = try await read(id)
            let deadline = ContinuousClock.now + .seconds(120)
            while !job.isTerminal && ContinuousClock.now < deadline {
                job = try await read(id, wait: 30)
            }
            let expected = try await engine.sum(range)
            if job.status != "FINISHED" || job.sum != "\(expected)" {
                wrong.append(
                    "\(id) [\(range.a), \(range.b)): \(job.status) with \(job.sum ?? "no sum"), not \(expected)"
                )
            }
        }
        // Each says which job and how: still running after two minutes, or a wrong sum.
        #expect(
            wrong.isEmpty,
            "\(wrong.count) of \(jobs.count) jobs did not finish with the right sum: \(wrong.prefix(5))")
    }

    @Test func aKilledServerLosesNoAcceptedJob() async throws {
        let arguments = [
            "--store-url", "sqlite:\(Self.databasePath())", "--workers-count", "2", "--engine-threads", "1",
            "--lease-seconds", "2", "--rate-limit-submits-per-second", "0",
        ]
        let first = try await ServerProcess.start(arguments)
        // The two wide jobs keep both workers busy for seconds: the kill lands mid-computation.
        let ranges = Self.ranges(500, width: 2_000_000, wide: 2, wideWidth: 20_000_000_000)
        var wide = try await Self.submitAll(Array(ranges.prefix(2)), to: first)
        _ = try await Self.awaitRunningJob(among: wide, on: first)
        let small = try await Self.submitAll(Array(ranges.dropFirst(2)), to: first)
        if try await Self.runningJob(among: wide, on: first) == nil {
            // A loaded machine took longer over the submissions than over the wide jobs: start
            // one more for the kill to land on.
            let a: UInt64 = 1_007_000_000_000_000
            wide += try await Self.submitAll([try PrimeRange(a: a, b: a + 20_000_000_000)], to: first)
        }
        #expect(
            try await Self.awaitRunningJob(among: wide, on: first) != nil, "no job was running at the kill")
        try await first.stop(signal: SIGKILL)
        let jobs = wide + small

        let second = try await ServerProcess.start(arguments)
        try await Self.expectAllFinished(jobs, on: second)
        #expect(try await second.stop(signal: SIGTERM) == 0)
    }

    /// SIGKILL while sixteen clients are submitting: every job answered 202 before the kill is
    /// in the file after it and finishes. (An answer in flight at the kill is not a promise.)
    @Test func aServerKilledMidBurstLosesNoAcceptedJob() async throws {
        let arguments = [
            "--store-url", "sqlite:\(Self.databasePath())", "--workers-count", "2", "--engine-threads", "1",
            "--rate-limit-submits-per-second", "0",
        ]
        let first = try await ServerProcess.start(arguments)
        let client = PrimeSumClient(baseURL: first.baseURL)
        let ranges = Self.ranges(20_000, width: 3_000)
        let accepted = AcceptedJobs()
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<16 {
                group.addTask {
                    for index in stride(from: lane, to: ranges.count, by: 16) {
                        let range = ranges[index]
                        guard let answer = try? await client.submit(a: "\(range.a)", b: "\(range.b)") else {
                            return  // the server is gone
                        }
                        accepted.add(answer.job.id, range)
                    }
                }
            }
            try? await Task.sleep(for: .seconds(1.5))
            _ = try? await first.stop(signal: SIGKILL)
        }
        let jobs = accepted.all
        #expect(jobs.count > 100, "too few submits before the kill to say anything: \(jobs.count)")
        #expect(jobs.count < ranges.count, "every submit finished before the kill")

        let second = try await ServerProcess.start(arguments)
        try await Self.expectAllFinished(jobs, on: second)
        #expect(try await second.stop(signal: SIGTERM) == 0)
    }

    @Test func sigtermDrainsHandsBackAndExitsZero() async throws {
        let arguments = [
            "--store-url", "sqlite:\(Self.databasePath())", "--workers-count", "2", "--engine-threads", "1",
            "--drain-timeout", "1",
        ]
        let first = try await ServerProcess.start(arguments)
        let jobs = try await Self.submitAll(
            Self.ranges(40, width: 2_000_000, wide: 2, wideWidth: 20_000_000_000), to: first)
        #expect(
            try await Self.awaitRunningJob(among: jobs, on: first) != nil, "no job was running at the SIGTERM"
        )
        // The running wide jobs cannot finish within the 1 s drain: they go back to QUEUED.
        #expect(try await first.stop(signal: SIGTERM, timeout: .seconds(15)) == 0, "\(first.output)")

        let second = try await ServerProcess.start(arguments)
        try await Self.expectAllFinished(jobs, on: second)
        #expect(try await second.stop(signal: SIGTERM) == 0)
    }

    @Test func sigtermAnswersHeldLongPollsAtOnce() async throws {
        let server = try await ServerProcess.start([
            "--store-url", "sqlite:\(Self.databasePath())", "--workers-count", "1", "--engine-threads", "1",
            "--drain-timeout", "1",
        ])
        // A minute of work: it is running, not finished, when the SIGTERM comes.
        let jobs = try await Self.submitAll(
            Self.ranges(1, width: 0, wide: 1, wideWidth: 200_000_000_000), to: server)
        let id = try #require(try await Self.awaitRunningJob(among: jobs, on: server))
        let client = PrimeSumClient(baseURL: server.baseURL)
        let held = Task { try await client.job(id: id, wait: 60).job }
        try await Task.sleep(for: .milliseconds(500))
        let signalled = ContinuousClock.now
        kill(server.process.processIdentifier, SIGTERM)
        let answer = try await held.value
        let answeredAfter = ContinuousClock.now - signalled
        // Held until its 60 s ran out, the long-poll would keep the server (and the pod's
        // grace period) waiting; it is answered with the job as it is.
        #expect(
            answeredAfter < .seconds(10), "the held long-poll was answered \(answeredAfter) after SIGTERM")
        #expect(answer.status == "IN_PROGRESS")
        #expect(try await server.stop(signal: SIGTERM, timeout: .seconds(15)) == 0, "\(server.output)")
    }
}

/// The jobs the server answered 202 for, from many submitting tasks.
private final class AcceptedJobs: Sendable {
    private let jobs = Mutex<[(String, PrimeRange)]>([])

    func add(_ id: String, _ range: PrimeRange) { jobs.withLock { $0.append((id, range)) } }
    var all: [(String, PrimeRange)] { jobs.withLock { $0 } }
}
