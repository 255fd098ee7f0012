import Foundation
import PrimeSumJobs

/// The job document of the API (DESIGN.md "The job document"): the seed's fields plus ours.
/// Numbers that can pass 2^53 are decimal strings.
struct JobDocument: Encodable {
    let _id: String
    let status: String
    let a: String
    let b: String
    let sum: String?
    let progress: Double?
    let queuedTimeMs: Int64
    let processingTimeMs: Int64
    let createdAt: String
    let startedAt: String?
    let finishedAt: String?
    let ttl: Int64
    let attempts: Int
    let error: JobFailure?
    /// For a job split into parts: where they stand.
    let parts: Parts?

    /// The parts of a split job: how many, how many finished and running, and how many
    /// computations of them started (more than `total` when a worker died in one).
    struct Parts: Encodable, Equatable {
        let total: Int
        let finished: Int
        let running: Int
        let attempts: Int
    }

    /// `parts` and `progress`, for a split job, come from its parts (`SplitJobView`); `now`,
    /// the store's clock, ends the times of a job still queued or running.
    init(_ job: Job, parts: Parts? = nil, progress: Double? = nil, now: Date) {
        _id = job.id.uuidString.lowercased()
        status = job.status.rawValue
        a = "\(job.a)"
        b = "\(job.b)"
        sum = job.sum.map { "\($0)" }
        self.progress = job.status == .inProgress || job.status == .finished ? progress ?? job.progress : nil
        queuedTimeMs = job.queuedTimeMs(now: now)
        processingTimeMs = job.processingTimeMs(now: now)
        createdAt = Self.format(job.createdAt)
        startedAt = job.startedAt.map(Self.format)
        finishedAt = job.finishedAt.map(Self.format)
        ttl = job.expiresAt.epochMilliseconds
        attempts = job.attempts
        error = job.failure
        self.parts = parts
    }

    /// An instant as the API writes it: ISO 8601 in UTC, with milliseconds.
    static func format(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)
        )
    }
}
