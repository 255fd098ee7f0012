import AsyncHTTPClient
import Foundation
import PrimeSum
import Synchronization

/// Runs a `LoadTestPlan`: open-loop arrivals (an arrival never waits for earlier jobs), every
/// job followed to a terminal status and its sum checked against the local engine.
public struct LoadTestRunner: Sendable {
    public let plan: LoadTestPlan
    /// Called every `liveInterval` with a one-line status.
    public var live: (@Sendable (String) -> Void)?
    public var liveInterval: Duration = .seconds(2)

    public init(plan: LoadTestPlan, live: (@Sendable (String) -> Void)? = nil) {
        self.plan = plan
        self.live = live
    }

    public func run() async throws -> LoadTestSummary {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(90), concurrentHTTP1ConnectionsPerHostSoftLimit: 4_000)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(Int64(plan.longPollSeconds + 30)))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let client = PrimeSumClient(
            baseURL: plan.target, apiKey: plan.apiKey, http: http,
            timeout: .seconds(plan.longPollSeconds + 30))
        let recorder = LoadTestRecorder()
        let expected = ExpectedSums()
        let reporter = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: liveInterval)
                live?(recorder.liveLine())
            }
        }
        defer { reporter.cancel() }
        await withDiscardingTaskGroup { group in
            let start = ContinuousClock.now
            var next = start
            var index = 0
            while (next - start).seconds < plan.durationSeconds {
                try? await Task.sleep(until: next)
                let range = plan.payload(index)
                index += 1
                next += .seconds(1 / max(plan.rate(at: (next - start).seconds), 0.001))
                guard recorder.inFlight < plan.maxInFlight else {
                    recorder.dropped()
                    continue
                }
                recorder.launched()
                group.addTask {
                    await Self.follow(
                        range, plan: plan, client: client, recorder: recorder, expected: expected)
                    recorder.ended()
                }
            }
        }
        try? await http.shutdown()
        return recorder.summary(plan: plan)
    }

    /// One simulated client: submit, then wait the plan's way until terminal.
    private static func follow(
        _ range: PrimeRange, plan: LoadTestPlan, client: PrimeSumClient, recorder: LoadTestRecorder,
        expected: ExpectedSums
    ) async {
        let started = ContinuousClock.now
        let deadline = started + .seconds(plan.jobTimeoutSeconds)
        let wait = plan.longPollSeconds
        var job: JobSnapshot?
        var retryAfter = 1
        // Submit, backing off on 429 and 503 as the server asks.
        while job == nil {
            guard ContinuousClock.now < deadline else { return recorder.failed("timeout") }
            let answer = await timed("POST", recorder) { () async throws(PrimeSumClientError) in
                try await client.submit(
                    a: "\(range.a)", b: "\(range.b)", preferWait: plan.mode == .preferWait ? wait : nil)
            }
            switch answer {
            case .success(let answer):
                job = answer.job
                retryAfter = answer.retryAfter ?? 1
            case .failure(.server(let status, _, _, let after)) where status == 429 || status == 503:
                try? await Task.sleep(for: .seconds(after ?? 1))
            case .failure(let error):
                return recorder.failed(kind(of: error))
            }
        }
        while var current = job, !current.isTerminal {
            guard ContinuousClock.now < deadline else { return recorder.failed("timeout") }
            switch plan.mode {
            case .poll: try? await Task.sleep(for: .seconds(plan.thinkSeconds))
            case .retryAfter: try? await Task.sleep(for: .seconds(retryAfter))
            case .longPoll, .preferWait: break
            }
            let longPoll = plan.mode == .longPoll || plan.mode == .preferWait
            let answer = await timed("GET", recorder) { () async throws(PrimeSumClientError) in
                try await client.job(id: current.id, wait: longPoll ? wait : nil)
            }
            switch answer {
            case .success(let answer):
                current = answer.job
                retryAfter = answer.retryAfter ?? retryAfter
                job = current
            case .failure(.server(let status, _, _, let after)) where status == 429 || status == 503:
                try? await Task.sleep(for: .seconds(after ?? 1))
            case .failure(let error):
                return recorder.failed(kind(of: error))
            }
        }
        guard let job, job.status == "FINISHED" else {
            return recorder.failed("job_\(job?.status.lowercased() ?? "lost")")
        }
        if plan.verify, let sum = job.sum {
            guard let correct = await expected.sum(of: range), sum == "\(correct)" else {
                return recorder.failed("wrong_sum")
            }
        }
        recorder.finished(after: ContinuousClock.now - started)
    }

    private static func timed(
        _ method: String, _ recorder: LoadTestRecorder,
        _ request: () async throws(PrimeSumClientError) -> PrimeSumClient.Answer
    ) async -> Result<PrimeSumClient.Answer, PrimeSumClientError> {
        let started = ContinuousClock.now
        do {
            let value = try await request()
            recorder.request(method, status: value.status, latency: ContinuousClock.now - started)
            return .success(value)
        } catch {
            if case .server(let status, _, _, _) = error {
                recorder.request(method, status: status, latency: ContinuousClock.now - started)
            } else {
                recorder.request(method, status: nil, latency: ContinuousClock.now - started)
            }
            return .failure(error)
        }
    }

    private static func kind(of error: PrimeSumClientError) -> String {
        switch error {
        case .server(let status, _, _, _): status >= 500 ? "5xx" : "4xx"
        case .transport(let reason):
            reason.lowercased().contains("timeout") || reason.contains("deadline") ? "timeout" : "connection"
        case .unexpectedResponse: "bad_response"
        }
    }
}

/// The engine's sum for each range, computed once per range.
private final class ExpectedSums: Sendable {
    private let sums = Mutex<[PrimeRange: UInt128]>([:])
    private let engine = PrimeSumEngine(threads: 1)

    func sum(of range: PrimeRange) async -> UInt128? {
        if let known = sums.withLock({ $0[range] }) { return known }
        guard let computed = try? await engine.sum(range) else { return nil }
        sums.withLock { $0[range] = computed }
        return computed
    }
}
