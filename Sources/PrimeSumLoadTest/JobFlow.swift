import NIOCore
import NIOHTTP1
import PrimeSum

/// One simulated client: submit a range, then wait the plan's way until the job is terminal,
/// backing off on 429 and 503 as the server asks. Confined to the client's event loop, like
/// the client; `done` runs once when the flow ends, however it ends.
final class JobFlow: @unchecked Sendable {
    private let range: PrimeRange
    private let plan: LoadTestPlan
    private let client: LoopHTTPClient
    private let recorder: LoadTestRecorder
    private let results: FinishedSums
    private let done: @Sendable () -> Void
    private let started = NIODeadline.now()
    private let deadline: NIODeadline
    private let requestTimeout: TimeAmount
    private var retryAfter = 1

    init(
        range: PrimeRange, plan: LoadTestPlan, client: LoopHTTPClient, recorder: LoadTestRecorder,
        results: FinishedSums, done: @escaping @Sendable () -> Void
    ) {
        self.range = range
        self.plan = plan
        self.client = client
        self.recorder = recorder
        self.results = results
        self.done = done
        deadline = started + .milliseconds(Int64(plan.jobTimeoutSeconds * 1_000))
        requestTimeout = .seconds(Int64(plan.longPollSeconds + 30))
    }

    private var longPolls: Bool { plan.mode == .longPoll || plan.mode == .preferWait }

    func submit() {
        guard NIODeadline.now() < deadline else { return fail("timeout") }
        var body = ByteBuffer()
        body.writeString("{\"a\":\"\(range.a)\",\"b\":\"\(range.b)\"}")
        let prefer = plan.mode == .preferWait ? [("Prefer", "wait=\(plan.longPollSeconds)")] : []
        request(.POST, "/sumPrime", body: body, headers: prefer) { response, fields in
            self.retryAfter = response.retryAfter ?? 1
            self.follow(fields)
        } retry: {
            self.submit()
        }
    }

    /// Waits for the job the way the plan says, or ends the flow when it is terminal.
    private func follow(_ fields: DocumentFields) {
        guard let id = fields.id, !fields.isTerminal else { return end(fields) }
        guard NIODeadline.now() < deadline else { return fail("timeout") }
        let pause: TimeAmount =
            switch plan.mode {
            case .poll: .milliseconds(Int64(plan.thinkSeconds * 1_000))
            case .retryAfter: .seconds(Int64(retryAfter))
            case .longPoll, .preferWait: .zero
            }
        let path = "/sumPrime/\(id)" + (longPolls ? "?wait=\(plan.longPollSeconds)" : "")
        let poll: @Sendable () -> Void = {
            self.request(.GET, path) { response, next in
                self.retryAfter = response.retryAfter ?? self.retryAfter
                self.follow(next)
            } retry: {
                self.follow(fields)
            }
        }
        if pause == .zero { poll() } else { client.eventLoop.scheduleTask(in: pause, poll) }
    }

    /// Sends a request and records it; a 429 or 503 sleeps its Retry-After and calls `retry`.
    private func request(
        _ method: HTTPMethod, _ path: String, body: ByteBuffer? = nil, headers: [(String, String)] = [],
        then next: @escaping @Sendable (LoopHTTPResponse, DocumentFields) -> Void,
        retry: @escaping @Sendable () -> Void
    ) {
        let sent = NIODeadline.now()
        client.send(method, path, body: body, headers: headers, timeout: requestTimeout) { result in
            let latency = Duration.nanoseconds((NIODeadline.now() - sent).nanoseconds)
            switch result {
            case .success(let response):
                self.recorder.request(method.rawValue, status: response.status, latency: latency)
                switch response.status {
                case 200..<300:
                    next(response, DocumentFields(response.body))
                case 429, 503:
                    self.client.eventLoop.scheduleTask(in: .seconds(Int64(response.retryAfter ?? 1)), retry)
                default:
                    self.fail(response.status >= 500 ? "5xx" : "4xx")
                }
            case .failure(let error):
                self.recorder.request(method.rawValue, status: nil, latency: latency)
                self.fail(error as? LoopHTTPError == .timedOut ? "timeout" : "connection")
            }
        }
    }

    private func end(_ fields: DocumentFields) {
        guard fields.status == "FINISHED" else { return fail("job_\(fields.status?.lowercased() ?? "lost")") }
        recorder.finished(after: .nanoseconds((NIODeadline.now() - started).nanoseconds))
        if plan.verify { results.add(range, fields.sum ?? "none") }
        done()
    }

    private func fail(_ kind: String) {
        recorder.failed(kind)
        done()
    }
}
