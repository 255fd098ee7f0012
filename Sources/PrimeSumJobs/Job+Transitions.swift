import Foundation

/// The status transitions every store and the worker pool share, so they agree on the fields
/// each one sets. They leave `version` alone: the store bumps it when it writes.
///
/// `now` is the store's clock (`StoreClock`), but a job may have been created by a replica
/// whose estimate of it ran a little ahead: each instant is kept no earlier than the one before
/// it (createdAt <= startedAt <= finishedAt), so no duration between them is negative.
extension Job {
    /// QUEUED → IN_PROGRESS, leased to `worker` for `lease` from `now`.
    public mutating func claim(by worker: String, lease: Duration, now: Date) {
        status = .inProgress
        startedAt = max(now, createdAt)
        progress = 0
        attempts += 1
        leaseOwner = worker
        self.worker = worker
        leaseExpiresAt = now.addingTimeInterval(lease.timeInterval)
    }

    /// Ends the job with `status` at `now`, but not before it started (or was created); a
    /// terminal job lives for `ttl` from its end.
    private mutating func end(_ status: JobStatus, now: Date, ttl: Duration?) {
        self.status = status
        let end = max(now, startedAt ?? createdAt)
        finishedAt = end
        if let ttl { expiresAt = end.addingTimeInterval(ttl.timeInterval) }
        leaseOwner = nil
        leaseExpiresAt = nil
    }

    /// IN_PROGRESS → QUEUED after a lapsed lease, or FAILED once out of attempts. A split
    /// parent's lapsed lease is only its next settlement check (`Job.settlementCheck`): it stays
    /// as it is, checked again later.
    public mutating func requeueAfterLapse(now: Date, maxAttempts: Int) {
        if partCount > 0 {
            leaseExpiresAt = now.addingTimeInterval(Self.settlementCheck.timeInterval)
            return
        }
        leaseOwner = nil
        leaseExpiresAt = nil
        progress = 0
        if attempts >= maxAttempts {
            failure = JobFailure(
                code: "attempts_exhausted",
                message: "the job's worker stopped \(attempts) times without finishing it")
            end(.failed, now: now, ttl: nil)
        } else {
            status = .queued
            startedAt = nil
        }
    }

    /// Ends the job as its worker reports (`JobStore.complete`).
    public mutating func complete(_ outcome: JobOutcome, now: Date, ttl: Duration) {
        switch outcome {
        case .finished(let sum): finish(sum: sum, now: now, ttl: ttl)
        case .finishedPiece(let result):
            pieceResult = result
            progress = 1
            end(.finished, now: now, ttl: ttl)
        case .failed(let failure): fail(failure, now: now, ttl: ttl)
        case .handedBack: handBack()
        }
    }

    /// → FINISHED with the sum; the result lives for `ttl` from now.
    public mutating func finish(sum: UInt128, now: Date, ttl: Duration) {
        self.sum = sum
        progress = 1
        end(.finished, now: now, ttl: ttl)
    }

    /// A new job (QUEUED, or claimed at its submit) → FINISHED at its creation with a `sum`
    /// already known for its range (a result stored by an earlier job), never started by a
    /// worker; it lives until its own expiry.
    public func answered(sum: UInt128) -> Job {
        var answered = self
        answered.status = .finished
        answered.attempts = 0
        answered.leaseOwner = nil
        answered.leaseExpiresAt = nil
        answered.worker = nil
        answered.sum = sum
        answered.progress = 1
        answered.startedAt = createdAt
        answered.finishedAt = createdAt
        return answered
    }

    /// → FAILED with a reason.
    public mutating func fail(_ failure: JobFailure, now: Date, ttl: Duration) {
        self.failure = failure
        end(.failed, now: now, ttl: ttl)
    }

    /// QUEUED or IN_PROGRESS → CANCELLED.
    public mutating func cancel(now: Date, ttl: Duration) {
        end(.cancelled, now: now, ttl: ttl)
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

    /// Milliseconds spent waiting in the queue, up to `now` (the store's clock) while queued;
    /// never negative.
    public func queuedTimeMs(now: Date) -> Int64 {
        (startedAt ?? finishedAt ?? now).milliseconds(since: createdAt)
    }

    /// Milliseconds spent computing, up to `now` while running; never negative.
    public func processingTimeMs(now: Date) -> Int64 {
        guard let startedAt else { return 0 }
        return (finishedAt ?? now).milliseconds(since: startedAt)
    }
}

extension Duration {
    /// The duration in seconds, as Foundation counts time.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) * 1e-18
    }
}
