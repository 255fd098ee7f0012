import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import PrimeSum
import PrimeSumAPI
import PrimeSumJobs
import Tracing

/// The job routes: submit, read (with long-poll), cancel. A job's way in reads top to bottom in
/// `submit`: parse, `Admission`, then one `JobStore.submit` that deduplicates its idempotency
/// key, answers it from a stored result or queues it; a wait for its end is `TerminalWait`.
struct SumPrimeController: Sendable {
    typealias Context = PrimeSumRequestContext

    let store: any JobStore
    let configuration: ServerConfiguration
    let admission: Admission
    let terminal: TerminalWait
    let split: SplitJobView
    let documents = DocumentCache()
    let submitted = SubmittedJobs()

    init(store: any JobStore, engine: PrimeSumEngine, configuration: ServerConfiguration, drain: DrainState) {
        self.store = store
        self.configuration = configuration
        admission = Admission(
            engine: engine, configuration: configuration, drain: drain,
            queueDepth: QueueDepthGauge(store: store))
        terminal = TerminalWait(store: store, drain: drain)
        split = SplitJobView(store: store, engine: engine)
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.post(use: submit)
        group.get("{id}", use: read)
        group.delete("{id}", use: cancel)
    }

    @Sendable func submit(_ request: Request, context: Context) async throws -> Response {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "send the body as application/json"
            ).leaving(.unread)
        }
        let body = try await BodyReader(limit: configuration.maxBodyBytes, timeout: configuration.bodyTimeout)
            .read(request.body)
        let range = try SubmitRequest.parse(Data(buffer: body))
        let idempotencyKey = request.headers[.idempotencyKey]
        let waitSeconds = try preferredWait(request)
        let deadline = ContinuousClock.now + .seconds(waitSeconds)

        let now = store.clock.now()
        let job = Job(
            a: range.a, b: range.b, createdAt: now,
            expiresAt: now.addingTimeInterval(configuration.resultsTTL.timeInterval),
            idempotencyKey: idempotencyKey, owner: context.keyName,
            // The request's span (`TracingMiddleware`), continued by the worker that claims it.
            traceContext: TraceCarrier.encode(InstrumentationContext.current ?? .topLevel))
        let estimate: CostEstimate
        do {
            estimate = try await admission.admit(range)
        } catch let error as APIError {
            // A job that may not be queued may still be answered: by the job its key already
            // holds, or by a result for its range. (A store that failed to count the queue is
            // not asked again: the 503 goes out at once.)
            let store = store
            guard let answer = try await StoreDeadline.run({ try await store.submit(job, queueing: false) })
            else {
                throw error
            }
            return try await respond(to: answer, waitingUntil: deadline)
        }
        let mark = store.changes.mark
        let (store, lease, ttl) = (store, configuration.leaseDuration, configuration.resultsTTL)
        let submission = try await StoreDeadline.run {
            try await store.submit(job, toIdleWorkerWithLease: lease, ttl: ttl)
        }
        if case .accepted(let accepted) = submission {
            submitted.remember(accepted, mark: mark)
            if accepted.status == .queued { admission.admitted() }
            // Jobs accepted: not the submits refused, deduplicated or answered from a result.
            Counter(label: "primesum_jobs_submitted_total").increment()
            context.logger.debug(
                "accepted",
                metadata: [
                    "job": "\(accepted.id)", "a": "\(range.a)", "b": "\(range.b)",
                    "worker": "\(accepted.leaseOwner ?? "-")",
                ])
        }
        return try await respond(to: submission, waitingUntil: deadline, retryAfter: estimate.seconds)
    }

    @Sendable func read(_ request: Request, context: Context) async throws -> Response {
        let id = try jobID(context)
        let wait = try waitParameter(request)
        let deadline = ContinuousClock.now + .seconds(wait)
        let now = store.clock.now()
        if let body = documents.body(for: id, owner: context.keyName, now: now) {
            return Response.json(body)
        }
        let change = wait > 0 ? store.changes.subscribe(.job(id)) : nil
        defer { change?.cancel() }
        // A long-poll that follows this replica's own submit of the job need not read it first.
        let known = change == nil ? nil : submitted.current(id, owner: context.keyName, feed: store.changes)
        let read = known == nil ? try await owned(id, by: context) : known
        guard let job = read, !job.status.isTerminal || job.expiresAt > now else { throw notFound(id) }
        let current =
            job.status.isTerminal || wait == 0
            ? job : try await terminal.job(id, until: deadline, after: change) ?? job
        return try await document(current, status: .ok)
    }

    @Sendable func cancel(_ request: Request, context: Context) async throws -> Response {
        let id = try jobID(context)
        guard let job = try await owned(id, by: context) else { throw notFound(id) }
        if job.status.isTerminal { return try await document(job, status: .ok) }
        let (store, ttl) = (store, configuration.resultsTTL)
        guard let cancelled = try await StoreDeadline.run({ try await store.cancel(id: id, ttl: ttl) }) else {
            throw notFound(id)
        }
        if cancelled.status == .cancelled { context.logger.info("cancelled", metadata: ["job": "\(id)"]) }
        return try await document(cancelled, status: .ok)
    }

    // MARK: - Helpers

    /// The job when it exists, belongs to the request's key (any job when auth is off) and is
    /// not a part of another job (parts are not jobs of the API).
    private func owned(_ id: UUID, by context: Context) async throws -> Job? {
        let store = store
        guard let job = try await StoreDeadline.run({ try await store.job(id: id) }), job.parent == nil,
            job.owner == context.keyName
        else {
            return nil
        }
        return job
    }

    /// A result answers at once (200); a queued or deduplicated job is waited for until
    /// `deadline` (the request's arrival plus its wait), then answered as it stands (202 until
    /// it finished).
    private func respond(
        to submission: Submission, waitingUntil deadline: ContinuousClock.Instant,
        retryAfter estimate: Double = 1
    ) async throws -> Response {
        if case .answered(let known) = submission { return try await document(known, status: .ok) }
        let job = submission.job
        let current =
            deadline > ContinuousClock.now ? try await terminal.job(job.id, until: deadline) ?? job : job
        if current.status == .finished { return try await document(current, status: .ok) }
        var response = try await document(current, status: .accepted)
        response.headers[.location] = "/sumPrime/\(current.id.uuidString.lowercased())"
        response.headers[.retryAfter] = "\(min(3600, max(1, Int64(saturating: estimate.rounded(.up)))))"
        return response
    }

    private func document(_ job: Job, status: HTTPResponse.Status) async throws -> Response {
        let document = try await split.document(of: job)
        let body = ByteBuffer(bytes: (try? JSONEncoder.api.encode(document)) ?? Data())
        if job.status.isTerminal {
            documents.store(body, for: job.id, owner: job.owner, expiresAt: job.expiresAt)
        }
        return Response.json(body, status: status)
    }

    private func jobID(_ context: Context) throws -> UUID {
        let text = context.parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text) else {
            throw APIError(.notFound, code: "not_found", message: "no job has the id '\(text.prefix(64))'")
        }
        return id
    }

    private func notFound(_ id: UUID) -> APIError {
        APIError(
            .notFound, code: "not_found", message: "no job \(id.uuidString.lowercased()) (unknown or expired)"
        )
    }

    private func waitParameter(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("wait") else { return 0 }
        guard let seconds = Self.wholeSeconds(Substring(text)) else {
            throw APIError(
                .badRequest, code: "invalid_wait", message: "wait must be a whole number of seconds")
        }
        return min(seconds, configuration.maxWaitSeconds)
    }

    /// Decimal digits as seconds; a number too large for an Int is still a whole number of
    /// seconds (callers cap it at the longest wait).
    private static func wholeSeconds(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text) ?? .max
    }

    /// `Prefer: wait=N` (RFC 7240); other preferences are ignored as the RFC asks.
    private func preferredWait(_ request: Request) throws -> Int {
        for preference in request.headers[values: .prefer].flatMap({ $0.split(separator: ",") }) {
            let parts = preference.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "wait" else { continue }
            guard let seconds = Self.wholeSeconds(parts[1].trimmingCharacters(in: .whitespaces)[...]) else {
                throw APIError(
                    .badRequest, code: "invalid_prefer", message: "Prefer: wait=N needs whole seconds")
            }
            return min(seconds, configuration.maxWaitSeconds)
        }
        return 0
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
    static let prefer = Self("Prefer")!
}
