import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import PrimeSum
import PrimeSumTLS
import Synchronization

/// Runs a `LoadTestPlan`: open-loop arrivals (an arrival never waits for earlier jobs), every
/// job followed to a terminal status. Sums are checked against the local engine after the
/// arrivals end, so that the check neither adds to a job's measured latency nor takes CPU from
/// the server while it is measured.
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
        guard let url = URLComponents(string: plan.target), let host = url.host,
            url.scheme == "http" || url.scheme == "https"
        else {
            throw LoadTestError.invalidTarget(plan.target)
        }
        let secure = url.scheme == "https"
        let tls: NIOSSLContext?
        do {
            tls = try TLSSettings(mode: .verifyFull, rootCertificateFile: plan.caFile).clientConfiguration()
                .flatMap { secure ? try NIOSSLContext(configuration: $0) : nil }
        } catch {
            throw LoadTestError.invalidTLS("\(error)")
        }
        // One thread drives every connection and every flow: no hop between threads per job.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let eventLoop = group.next()
        let client = LoopHTTPClient(
            eventLoop: eventLoop, host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
            port: url.port ?? (secure ? 443 : 80), apiKey: plan.apiKey, tls: tls)
        let recorder = LoadTestRecorder()
        let results = FinishedSums()
        let reporter = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: liveInterval)
                live?(recorder.liveLine())
            }
        }
        defer { reporter.cancel() }
        let arrivals = Arrivals(plan: plan, client: client, recorder: recorder, results: results)
        try await eventLoop.flatSubmit { arrivals.start() }.get()
        recorder.stop()
        reporter.cancel()
        try await eventLoop.submit { client.close() }.get()
        try await group.shutdownGracefully()
        if plan.verify { await verify(results.all, recorder: recorder) }
        return recorder.summary(plan: plan)
    }

    /// Checks every finished job's sum against the local engine, each distinct range once.
    private func verify(_ finished: [(PrimeRange, String)], recorder: LoadTestRecorder) async {
        let engine = PrimeSumEngine()
        var expected: [PrimeRange: String] = [:]
        for (checked, (range, sum)) in finished.enumerated() {
            if checked % 1_000 == 0 { live?("checking sums: \(checked) of \(finished.count)") }
            if expected[range] == nil {
                expected[range] = (try? await engine.sum(range)).map { "\($0)" } ?? "unknown"
            }
            if expected[range] != sum { recorder.wrongSum() }
        }
    }
}

/// The sums the server answered, kept to be checked once the arrivals end.
final class FinishedSums: Sendable {
    private let sums = Mutex<[(PrimeRange, String)]>([])

    func add(_ range: PrimeRange, _ sum: String) { sums.withLock { $0.append((range, sum)) } }
    var all: [(PrimeRange, String)] { sums.withLock { $0 } }
}

/// Open-loop arrivals on the client's event loop: the n-th job starts at its time whatever
/// earlier jobs are doing; arrivals beyond `maxInFlight` unfinished jobs are dropped and
/// counted. Its future succeeds when the last arrival's flow has ended.
private final class Arrivals: @unchecked Sendable {
    private let plan: LoadTestPlan
    private let client: LoopHTTPClient
    private let recorder: LoadTestRecorder
    private let results: FinishedSums
    private let finished: EventLoopPromise<Void>
    private let began = NIODeadline.now()
    private var index = 0
    private var offset = 0.0
    private var arriving = true
    private var running = 0

    init(plan: LoadTestPlan, client: LoopHTTPClient, recorder: LoadTestRecorder, results: FinishedSums) {
        self.plan = plan
        self.client = client
        self.recorder = recorder
        self.results = results
        finished = client.eventLoop.makePromise()
    }

    func start() -> EventLoopFuture<Void> {
        arrive()
        return finished.futureResult
    }

    private func arrive() {
        // The epsilon keeps float sums (0.1 added ten times) from adding an arrival at the end.
        guard offset < plan.durationSeconds - 1e-9 else {
            arriving = false
            if running == 0 { finished.succeed() }
            return
        }
        if running >= plan.maxInFlight {
            recorder.dropped()
        } else {
            running += 1
            recorder.launched()
            let flow = JobFlow(
                range: plan.payload(index), plan: plan, client: client, recorder: recorder, results: results
            ) { self.flowEnded() }
            flow.submit()
        }
        index += 1
        offset += 1 / max(plan.rate(at: offset), 0.001)
        client.eventLoop.scheduleTask(deadline: began + .nanoseconds(Int64(offset * 1e9))) { self.arrive() }
    }

    private func flowEnded() {
        running -= 1
        recorder.ended()
        if !arriving && running == 0 { finished.succeed() }
    }
}
