import Foundation

/// The status transitions every store and the worker pool share, so they agree on the fields
/// each one sets. They leave `version` alone: the store bumps it when it writes.
extension Job {
    /// QUEUED → IN_PROGRESS, leased to `worker`.
    public mutating func claim(by worker: String, until leaseUntil: Date, now: Date) {
        status = .inProgress
        startedAt = now
        progress = 0
        attempts += 1
        leaseOwner = worker
        leaseExpiresAt = leaseUntil
    }

    /// IN_PROGRESS → QUEUED after a lapsed lease, or FAILED once out of attempts.
    public mutating func requeueAfterLapse(now: Date, maxAttempts: Int) {
        leaseOwner = nil
        leaseExpiresAt = nil
        progress = 0
        if attempts >= maxAttempts {
            status = .failed
            finishedAt = now
            failure = JobFailure(
                code: "attempts_exhausted",
                message: "the job's worker stopped \(attempts) times without finishing it")
        } else {
            status = .queued
            startedAt = nil
        }
    }

    /// → FINISHED with the sum; the result lives for `ttl` from now.
    public mutating func finish(sum: UInt128, now: Date, ttl: Duration) {
        status = .finished
        self.sum = sum
        progress = 1
        finishedAt = now
        expiresAt = now.addingTimeInterval(ttl.timeInterval)
        leaseOwner = nil
        leaseExpiresAt = nil
    }

    /// → FAILED with a reason.
    public mutating func fail(_ failure: JobFailure, now: Date, ttl: Duration) {
        status = .failed
        self.failure = failure
        finishedAt = now
        expiresAt = now.addingTimeInterval(ttl.timeInterval)
        leaseOwner = nil
        leaseExpiresAt = nil
    }

    /// QUEUED or IN_PROGRESS → CANCELLED.
    public mutating func cancel(now: Date, ttl: Duration) {
        status = .cancelled
        finishedAt = now
        expiresAt = now.addingTimeInterval(ttl.timeInterval)
        leaseOwner = nil
        leaseExpiresAt = nil
    }

    /// IN_PROGRESS → QUEUED when a draining worker gives the job back; the attempt is not
    /// counted against the job.
    public mutating func handBack() {
        status = .queued
        startedAt = nil
        progress = 0
        attempts = max(0, attempts - 1)
        leaseOwner = nil
        leaseExpiresAt = nil
    }

    /// Milliseconds spent waiting in the queue, and computing.
    public var queuedTimeMs: Int64 {
        Int64(((startedAt ?? finishedAt ?? Date()).timeIntervalSince(createdAt) * 1000).rounded())
    }
    public var processingTimeMs: Int64 {
        guard let startedAt else { return 0 }
        return Int64(((finishedAt ?? Date()).timeIntervalSince(startedAt) * 1000).rounded())
    }
}

extension Duration {
    /// The duration in seconds, as Foundation counts time.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) * 1e-18
    }
}
