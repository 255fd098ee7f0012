import Foundation
import Tracing

/// The spans of one attempt at a job or a part on a worker, in the trace the job was submitted
/// in (`Job.traceContext`): `queued`, from the job's creation to its start, and the attempt
/// (`job` or `part`, from the claim to the completion) with its steps as children: `claim`,
/// then `compute` or `split`, then `complete`. A job stored without a trace gets no span.
struct JobAttemptTrace: Sendable {
    private let attempt: (any Span)?
    private let tracer: any Tracer

    /// Starts the attempt at `job`, claimed by `worker` from `claimStarted` (nil when another
    /// worker, or the API, claimed it for this one).
    init(_ job: Job, worker: String, tracer: any Tracer, claimStarted: DefaultTracerClock.Timestamp?) {
        self.tracer = tracer
        guard let submitted = TraceCarrier.context(from: job.traceContext, with: tracer) else {
            attempt = nil
            return
        }
        let now = DefaultTracerClock.now
        if let startedAt = job.startedAt {
            let queued = tracer.startSpan(
                "queued", context: submitted, ofKind: .internal, at: Self.timestamp(job.createdAt))
            queued.attributes["primesum.job.id"] = job.id.uuidString
            queued.end(at: Self.timestamp(startedAt))
        }
        let attempt = tracer.startSpan(
            job.parent == nil ? "job" : "part", context: submitted, ofKind: .consumer, at: claimStarted ?? now
        )
        attempt.updateAttributes { attributes in
            attributes["primesum.job.id"] = job.id.uuidString
            attributes["primesum.job.parent"] = job.parent?.uuidString
            // Decimal text: the ends pass Int64.max.
            attributes["primesum.job.a"] = String(job.a)
            attributes["primesum.job.b"] = String(job.b)
            attributes["primesum.job.attempt"] = job.attempts
            attributes["primesum.worker"] = worker
        }
        if let claimStarted {
            tracer.startSpan("claim", context: attempt.context, ofKind: .client, at: claimStarted).end(
                at: now)
        }
        self.attempt = attempt
    }

    /// Runs `body` in a child span of the attempt named `step`, with `attributes` (computed
    /// only when the span records).
    func during<T>(
        _ step: String, attributes: @autoclosure () -> SpanAttributes = [:], _ body: () async throws -> T
    ) async rethrows -> T {
        guard let attempt else { return try await body() }
        let span = tracer.startSpan(step, context: attempt.context, ofKind: .internal)
        defer { span.end() }
        if span.isRecording { span.attributes.merge(attributes()) }
        do {
            return try await body()
        } catch {
            span.recordError(error)
            throw error
        }
    }

    /// Ends the attempt with how it ended (a job status, `split`, `lost`, `not completed`).
    func end(_ outcome: String) {
        guard let attempt else { return }
        attempt.attributes["primesum.outcome"] = outcome
        attempt.end()
    }

    private static func timestamp(_ date: Date) -> DefaultTracerClock.Timestamp {
        .init(nanosecondsSinceEpoch: UInt64(max(0, date.epochMilliseconds)) * 1_000_000)
    }
}
