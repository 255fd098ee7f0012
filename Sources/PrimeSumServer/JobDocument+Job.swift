import Foundation
import PrimeSumAPI
import PrimeSumJobs

extension JobDocument {
    /// The document of `job`. `parts` and `progress`, for a split job, come from its parts
    /// (`SplitJobView`); `now`, the store's clock, ends the times of a job still queued or
    /// running.
    init(_ job: Job, parts: Parts? = nil, progress: Double? = nil, now: Date) {
        self.init(
            id: job.id.uuidString.lowercased(), status: job.status.rawValue, a: "\(job.a)", b: "\(job.b)",
            sum: job.sum.map { "\($0)" },
            progress: job.status == .inProgress || job.status == .finished ? progress ?? job.progress : nil,
            queuedTimeMs: job.queuedTimeMs(now: now), processingTimeMs: job.processingTimeMs(now: now),
            createdAt: Self.format(job.createdAt), startedAt: job.startedAt.map(Self.format),
            finishedAt: job.finishedAt.map(Self.format), ttl: job.expiresAt.epochMilliseconds,
            attempts: job.attempts, error: job.failure.map { Failure(code: $0.code, message: $0.message) },
            parts: parts, worker: job.worker, traceId: TraceCarrier.traceID(in: job.traceContext))
    }

    /// An instant as the API writes it: ISO 8601 in UTC, with milliseconds.
    static func format(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)
        )
    }
}
