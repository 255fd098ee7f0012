import Foundation
import InMemoryTracing
import Logging
import PrimeSumJobs
import Testing
import Tracing

/// A job submitted in a trace is continued by the worker that claims it: its spans are
/// children of the submitting span, carried through the store (`Job.traceContext`), and a job
/// stored without a trace makes no span.
@Suite(.timeLimit(.minutes(2))) struct JobTraceTests {
    /// The spans of the submitting span's trace once `jobs` have ended, on a pool of one worker
    /// computing every job as 17 and splitting a job of width 1,000 or more in two.
    func spans(
        of jobs: (_ traceContext: String?, _ now: Date) -> [Job]
    ) async throws -> (submitting: InMemorySpanContext, spans: [FinishedInMemorySpan]) {
        let tracer = InMemoryTracer()
        let request = tracer.startSpan("POST /sumPrime", context: .topLevel, ofKind: .server)
        let submitting = try #require(request.context.inMemorySpanContext)
        let carrier = try #require(TraceCarrier.encode(request.context, with: tracer))
        request.end()
        let store = MemoryJobStore()
        let submitted = jobs(carrier, store.clock.now())
        for job in submitted { _ = try await store.submit(job) }
        let pool = WorkerPool(
            store: store, configuration: .init(workers: 1, idlePollInterval: .milliseconds(50)),
            logger: Logger(label: "test"), name: "replica", tracer: tracer,
            split: { job in
                job.b - job.a >= 1_000
                    ? [JobPartPlan(job.a..<job.a + 500), JobPartPlan(job.a + 500..<job.b)] : []
            },
            describe: { _ in ["primesum.engine.method": "sieve"] }
        ) { _, _ in .finished(17) }
        let running = Task { try await pool.run() }
        defer { running.cancel() }
        for job in submitted {
            while try await store.job(id: job.id)?.status.isTerminal != true {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        // The attempt's span ends just after the completion that the loop above saw.
        while tracer.activeSpans.contains(where: { $0.traceID == submitting.traceID }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        return (submitting, tracer.finishedSpans.filter { $0.operationName != "POST /sumPrime" })
    }

    @Test func aJobSubmittedInATraceIsContinuedByItsWorkerAndAJobWithoutOneMakesNoSpan() async throws {
        let (submitting, spans) = try await spans { trace, now in
            [
                Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(600), traceContext: trace),
                Job(a: 1, b: 20, createdAt: now, expiresAt: now.addingTimeInterval(600)),
            ]
        }
        #expect(spans.map(\.operationName).sorted() == ["claim", "complete", "compute", "job", "queued"])
        #expect(spans.allSatisfy { $0.traceID == submitting.traceID })
        let attempt = try #require(spans.first { $0.operationName == "job" })
        for span in spans {
            let parent = ["queued", "job"].contains(span.operationName) ? submitting.spanID : attempt.spanID
            #expect(span.parentSpanID == parent, "\(span.operationName)")
        }
        #expect(attempt.attributes.get("primesum.outcome") == "FINISHED")
        #expect(attempt.attributes.get("primesum.worker") == "replica-0")
        let compute = try #require(spans.first { $0.operationName == "compute" })
        #expect(compute.attributes.get("primesum.engine.method") == "sieve")
        for step in spans where step.parentSpanID == attempt.spanID {
            #expect(step.startInstant.nanosecondsSinceEpoch >= attempt.startInstant.nanosecondsSinceEpoch)
            #expect(step.endInstant.nanosecondsSinceEpoch <= attempt.endInstant.nanosecondsSinceEpoch)
        }
    }

    @Test func eachPartOfASplitJobContinuesTheTraceOfItsJob() async throws {
        let (submitting, spans) = try await spans { trace, now in
            [
                Job(
                    a: 1_000, b: 2_000, createdAt: now, expiresAt: now.addingTimeInterval(600),
                    traceContext: trace)
            ]
        }
        let attempts = spans.filter { ["job", "part"].contains($0.operationName) }
        #expect(attempts.map(\.operationName).sorted() == ["job", "part", "part"])
        #expect(attempts.allSatisfy { $0.parentSpanID == submitting.spanID })
        #expect(spans.filter { $0.operationName == "queued" }.count == 3)
        func steps(of attempt: FinishedInMemorySpan) -> [String] {
            spans.filter { $0.parentSpanID == attempt.spanID }.map(\.operationName).sorted()
        }
        let job = try #require(attempts.first { $0.operationName == "job" })
        #expect(job.attributes.get("primesum.outcome") == "split")
        #expect(steps(of: job) == ["claim", "split"])
        for part in attempts where part.operationName == "part" {
            #expect(steps(of: part).filter { $0 != "claim" } == ["complete", "compute"])
            #expect(part.attributes.get("primesum.job.parent") == job.attributes.get("primesum.job.id"))
        }
    }

    @Test func theTraceIdOfAStoredCarrierIsItsW3CTraceparents() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        #expect(TraceCarrier.traceID(in: "traceparent: \(parent)") == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(
            TraceCarrier.traceID(in: "tracestate: a=b\ntraceparent: \(parent)")
                == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(
            TraceCarrier.traceID(in: "traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01")
                == nil)
        #expect(TraceCarrier.traceID(in: "traceparent: 00-4bf92f35-00f067aa0ba902b7-01") == nil)
        #expect(TraceCarrier.traceID(in: "in-memory-trace-id: 1") == nil)
        #expect(TraceCarrier.traceID(in: "") == nil)
        #expect(TraceCarrier.traceID(in: nil) == nil)
        // With tracing off nothing is stored.
        #expect(TraceCarrier.encode(.topLevel, with: NoOpTracer()) == nil)
    }

    /// What an instrument injects comes back as it was, one line a field.
    @Test func aCarrierRoundTripsItsFields() throws {
        let tracer = InMemoryTracer()
        let span = tracer.startSpan("request", context: .topLevel)
        let stored = try #require(TraceCarrier.encode(span.context, with: tracer))
        #expect(stored == "in-memory-span-id: \(span.spanID)\nin-memory-trace-id: \(span.traceID)")
        let continued = try #require(TraceCarrier.context(from: stored, with: tracer))
        #expect(continued.inMemorySpanContext?.traceID == span.traceID)
        #expect(continued.inMemorySpanContext?.spanID == span.spanID)
    }
}
