import Foundation

/// A store that can write a whole job under a compare-and-swap on its version: every backend
/// is one, and the intents of `JobStore` it does not carry out natively are built here, once,
/// on `update`. A backend with transactions or scripts completes in one step of its own (every
/// backend renews leases its own way, as renewals must leave the version alone); these are what
/// the rarer intents (cancel, split, settle) do everywhere, and what CouchDB, whose documents
/// have no other atomic write, completes with.
///
/// Each is a loop of read, change and conditional write on one job, repeated only when another
/// write to the same job came between (a conflict), until the change applies or no longer
/// does: no caller outside the store writes a job it read.
public protocol CompareAndSwapJobStore: JobStore {
    /// Writes `job` if the stored version still equals `job.version`; returns the stored job,
    /// version + 1, or nil when another writer came first or the job is gone.
    func update(_ job: Job) async throws -> Job?
}

/// How many conflicts in a row one change survives before it reports the store unavailable:
/// far more than concurrent writers to one job (its worker, a cancel, the cleaner) can cause.
private let conflictLimit = 20

extension CompareAndSwapJobStore {
    public func complete(_ completions: [Completion], ttl: Duration) async throws -> [CompletionResult] {
        var results: [CompletionResult] = []
        for completion in completions {
            let lease = completion.claimed.lease
            let (ended, _) = try await change(completion.claimed.id) { job in
                guard lease != nil, job.lease == lease else { return nil }
                var next = job
                next.complete(completion.outcome, now: clock.now(), ttl: ttl)
                return next
            }
            results.append(
                CompletionResult(job: ended, settledParent: try await settleParent(of: ended, ttl: ttl)))
        }
        return results
    }

    public func cancel(id: UUID, ttl: Duration) async throws -> Job? {
        let (cancelled, current) = try await change(id) { job in
            guard !job.status.isTerminal else { return nil }
            var next = job
            next.cancel(now: clock.now(), ttl: ttl)
            return next
        }
        // A job being split right now has no part count yet: its splitter cancels the parts it
        // made once it finds the job cancelled (`split`).
        if let cancelled, cancelled.partCount > 0 { try await cancelParts(of: id, ttl: ttl) }
        return cancelled ?? current
    }

    public func split(_ parent: Job, into parts: [JobPartPlan], ttl: Duration) async throws -> Job? {
        let now = clock.now()
        // All at once: SQLite and PostgreSQL group-commit them into one transaction, Redis
        // pipelines them.
        try await withThrowingDiscardingTaskGroup { group in
            for (index, plan) in parts.enumerated() {
                group.addTask { _ = try await submit(.part(of: parent, index: index, plan: plan, now: now)) }
            }
        }
        let lease = parent.lease
        let (marked, current) = try await change(parent.id) { job in
            guard lease != nil, job.lease == lease else { return nil }
            var next = job
            next.markSplit(into: parts.count, now: now)
            return next
        }
        guard let marked else {
            if current?.status.isTerminal == true { try await cancelParts(of: parent.id, ttl: ttl) }
            return nil
        }
        // Tiny parts may all have ended before the parent was marked: nobody else settles it.
        return try await settle(parentID: parent.id, ttl: ttl) ?? marked
    }

    public func settle(parentID: UUID, ttl: Duration) async throws -> Job? {
        let (settled, _) = try await change(parentID) { parent in
            guard parent.status == .inProgress, parent.partCount > 0 else { return nil }
            return parent.settled(by: try await parts(of: parentID), now: clock.now(), ttl: ttl)
        }
        if let settled, settled.status == .failed { try await cancelParts(of: parentID, ttl: ttl) }
        return settled
    }

    /// The parent that `part`'s end settled, if it did (for stores that complete natively).
    public func settleParent(of part: Job?, ttl: Duration) async throws -> Job? {
        guard let part, let parent = part.parent, part.status.isTerminal else { return nil }
        return try await settle(parentID: parent, ttl: ttl)
    }

    /// Cancels every part of `parentID` that has not ended; a running part's worker is refused
    /// at its next renewal and stops computing.
    private func cancelParts(of parentID: UUID, ttl: Duration) async throws {
        for part in try await partStates(of: parentID) where !part.status.isTerminal {
            _ = try await change(part.id) { job in
                guard !job.status.isTerminal else { return nil }
                var next = job
                next.cancel(now: clock.now(), ttl: ttl)
                return next
            }
        }
    }

    /// Reads the job and writes what `next` makes of it, reading again after a conflict.
    /// Returns the job written, or nil when `next` declined (or there is no job), with the job
    /// as last read.
    private func change(_ id: UUID, _ next: (Job) async throws -> Job?) async throws -> (
        written: Job?, current: Job?
    ) {
        for _ in 0..<conflictLimit {
            guard let current = try await job(id: id) else { return (nil, nil) }
            guard let changed = try await next(current) else { return (nil, current) }
            if let written = try await update(changed) { return (written, written) }
        }
        throw JobStoreError.unavailable("job \(id) changed under \(conflictLimit) writes in a row")
    }
}
