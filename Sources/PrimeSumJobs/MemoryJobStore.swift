import Foundation
import Synchronization

/// The `memory:` store: everything in this process, lost on restart (the seed's behaviour).
/// For tests and single-process use.
public final class MemoryJobStore: JobStore {
    private struct State {
        var jobs: [UUID: Job] = [:]
        var cleanerLease: (holder: String, until: Date)?
    }
    private let state = Mutex(State())
    public let changes = JobChangeFeed()

    public init() {}

    public func create(_ job: Job) async throws -> (job: Job, created: Bool) {
        let outcome = state.withLock { state -> (Job, Bool) in
            if let key = job.idempotencyKey,
                let existing = state.jobs.values.first(where: {
                    $0.idempotencyKey == key && $0.owner == job.owner
                })
            {
                return (existing, false)
            }
            state.jobs[job.id] = job
            return (job, true)
        }
        if outcome.1 { changes.signal(.queue) }
        return outcome
    }

    public func job(id: UUID) async throws -> Job? { state.withLock { $0.jobs[id] } }

    public func job(idempotencyKey: String, owner: String?) async throws -> Job? {
        state.withLock { $0.jobs.values.first { $0.idempotencyKey == idempotencyKey && $0.owner == owner } }
    }

    public func finishedJob(a: UInt64, b: UInt64, now: Date) async throws -> Job? {
        state.withLock { state in
            state.jobs.values.first { $0.status == .finished && $0.a == a && $0.b == b && $0.expiresAt > now }
        }
    }

    public func claimNext(worker: String, leaseUntil: Date, now: Date) async throws -> Job? {
        let claimed = state.withLock { state -> Job? in
            guard
                var job = state.jobs.values.filter({ $0.status == .queued }).min(by: {
                    $0.createdAt < $1.createdAt
                })
            else { return nil }
            job.claim(by: worker, until: leaseUntil, now: now)
            job.version += 1
            state.jobs[job.id] = job
            return job
        }
        return claimed
    }

    public func update(_ job: Job) async throws -> Job? {
        let stored = state.withLock { state -> Job? in
            guard state.jobs[job.id]?.version == job.version else { return nil }
            var next = job
            next.version += 1
            state.jobs[job.id] = next
            return next
        }
        if let stored, stored.status.isTerminal { changes.publish(.job(stored.id)) }
        if stored?.status == .queued { changes.signal(.queue) }
        return stored
    }

    public func requeueLapsed(now: Date, maxAttempts: Int) async throws -> Int {
        let moved = state.withLock { state -> [Job] in
            let lapsed = state.jobs.values.filter {
                $0.status == .inProgress && ($0.leaseExpiresAt ?? now) < now
            }
            return lapsed.map { job in
                var next = job
                next.requeueAfterLapse(now: now, maxAttempts: maxAttempts)
                next.version += 1
                state.jobs[job.id] = next
                return next
            }
        }
        for job in moved { changes.publish(.job(job.id)) }
        if !moved.isEmpty { changes.publish(.queue) }
        return moved.count
    }

    public func deleteExpired(now: Date) async throws -> Int {
        state.withLock { state in
            let expired = state.jobs.values.filter { $0.status.isTerminal && $0.expiresAt < now }.map(\.id)
            for id in expired { state.jobs[id] = nil }
            return expired.count
        }
    }

    public func acquireCleanerLease(holder: String, until: Date, now: Date) async throws -> Bool {
        state.withLock { state in
            if let lease = state.cleanerLease, lease.holder != holder, lease.until > now { return false }
            state.cleanerLease = (holder, until)
            return true
        }
    }

    public func queuedCount() async throws -> Int {
        state.withLock { $0.jobs.values.count { $0.status == .queued } }
    }

    public func ping() async throws {}
}
