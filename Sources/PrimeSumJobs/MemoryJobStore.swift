import Foundation
import HeapModule
import Synchronization

/// The `memory:` store: everything in this process, lost on restart (the seed's behaviour).
/// For tests and single-process use.
///
/// It keeps every job for its TTL (rate × 600 s of them), so no operation on the request path
/// scans them: the queue is two heaps by creation time (whole jobs, parts), and idempotency keys, finished results
/// and running jobs have indexes of their own. Only the cleaner's expiry sweep walks every job.
public final class MemoryJobStore: CompareAndSwapJobStore, CleanerLeaseStore, HeartbeatStore {
    private struct State {
        var jobs: [UUID: Job] = [:]
        /// QUEUED jobs by creation time, parts apart so that a claim may pass them by; an entry
        /// whose job moved on is skipped when popped.
        var wholeJobQueue = Heap<QueueEntry>()
        var partQueue = Heap<QueueEntry>()
        var insertions: UInt64 = 0
        var queued = 0
        var running: Set<UUID> = []
        var byKey: [OwnedKey: UUID] = [:]
        var finishedByRange: [RangeKey: UUID] = [:]
        var partsByParent: [UUID: Set<UUID>] = [:]
        var cleanerLease: (holder: String, until: Date)?
        var heartbeats: [String: (document: String, until: Date)] = [:]

        /// Stores `job` and keeps every index in step with the move from `previous`.
        mutating func put(_ job: Job, replacing previous: Job?) {
            jobs[job.id] = job
            if previous?.status == .queued { queued -= 1 }
            if job.status == .queued {
                queued += 1
                insertions += 1
                let entry = QueueEntry(
                    createdAt: job.createdAt, order: insertions, id: job.id, version: job.version)
                if job.parent == nil { wholeJobQueue.insert(entry) } else { partQueue.insert(entry) }
            }
            if job.status == .inProgress { running.insert(job.id) } else { running.remove(job.id) }
            if job.status == .finished, job.parent == nil {
                finishedByRange[RangeKey(a: job.a, b: job.b)] = job.id
            }
            if previous == nil, let key = job.idempotencyKey {
                byKey[OwnedKey(key: key, owner: job.owner)] = job.id
            }
            if previous == nil, let parent = job.parent { partsByParent[parent, default: []].insert(job.id) }
        }

        /// Takes the oldest entry of the queue, or of its whole jobs only.
        mutating func popQueued(includingParts: Bool) -> QueueEntry? {
            if includingParts, let part = partQueue.min, wholeJobQueue.min.map({ part < $0 }) ?? true {
                return partQueue.popMin()
            }
            return wholeJobQueue.popMin()
        }

        /// The FINISHED job (not a part) for [a, b) unexpired at `now`.
        func finishedJob(a: UInt64, b: UInt64, at now: Date) -> Job? {
            guard let id = finishedByRange[RangeKey(a: a, b: b)], let job = jobs[id], job.status == .finished,
                job.expiresAt > now
            else { return nil }
            return job
        }

        mutating func remove(_ id: UUID) {
            guard let job = jobs.removeValue(forKey: id) else { return }
            if job.status == .queued { queued -= 1 }
            running.remove(id)
            let range = RangeKey(a: job.a, b: job.b)
            if finishedByRange[range] == id { finishedByRange[range] = nil }
            if let key = job.idempotencyKey {
                let owned = OwnedKey(key: key, owner: job.owner)
                if byKey[owned] == id { byKey[owned] = nil }
            }
            for part in partsByParent.removeValue(forKey: id) ?? [] { remove(part) }
        }
    }

    private struct QueueEntry: Comparable {
        var createdAt: Date
        /// Breaks ties between jobs created in the same instant: first in, first out.
        var order: UInt64
        var id: UUID
        var version: Int

        static func < (lhs: Self, rhs: Self) -> Bool {
            (lhs.createdAt, lhs.order) < (rhs.createdAt, rhs.order)
        }
        static func == (lhs: Self, rhs: Self) -> Bool { lhs.order == rhs.order }
    }

    private struct OwnedKey: Hashable {
        var key: String
        var owner: String?
    }

    private struct RangeKey: Hashable {
        var a: UInt64
        var b: UInt64
    }

    private let state = Mutex(State())
    public let changes = JobChangeFeed()

    public let clock: StoreClock

    /// `clock` is this process's (a test gives a skewed one).
    public init(clock: StoreClock = StoreClock()) {
        self.clock = clock
    }

    public func submit(_ job: Job, queueing: Bool) async throws -> Submission? {
        let (inserted, submission) = state.withLock { state -> (Job?, Submission?) in
            if let key = job.idempotencyKey, let id = state.byKey[OwnedKey(key: key, owner: job.owner)],
                let existing = state.jobs[id]
            {
                return (nil, .duplicate(existing))
            }
            let known = job.parent == nil ? state.finishedJob(a: job.a, b: job.b, at: job.createdAt) : nil
            let (insert, submission) = Submission.of(job, answeredBy: known, queueing: queueing)
            if let insert { state.put(insert, replacing: nil) }
            return (insert, submission)
        }
        if let inserted { changes.announce(inserted) }
        return submission
    }

    public func job(id: UUID) async throws -> Job? { state.withLock { $0.jobs[id] } }

    public func claim(for workers: [String], lease: Duration, parts: Int) async throws -> [Job] {
        let now = clock.now()
        return state.withLock { state -> [Job] in
            var claimed: [Job] = []
            var partsLeft = parts
            while claimed.count < workers.count, let entry = state.popQueued(includingParts: partsLeft > 0) {
                guard let previous = state.jobs[entry.id], previous.status == .queued,
                    previous.version == entry.version
                else { continue }
                var job = previous
                job.claim(by: workers[claimed.count], lease: lease, now: now)
                job.version += 1
                state.put(job, replacing: previous)
                if job.parent != nil { partsLeft -= 1 }
                claimed.append(job)
            }
            return claimed
        }
    }

    public func update(_ job: Job) async throws -> Job? {
        let stored = state.withLock { state -> Job? in
            guard let previous = state.jobs[job.id], previous.version == job.version else { return nil }
            var next = job
            next.version += 1
            state.put(next, replacing: previous)
            return next
        }
        if let stored { changes.announce(stored) }
        return stored
    }

    public func complete(_ completions: [Completion], ttl: Duration) async throws -> [CompletionResult] {
        let now = clock.now()
        let ended = state.withLock { state in
            completions.map { completion -> Job? in
                guard let lease = completion.claimed.lease, let previous = state.jobs[lease.id],
                    previous.lease == lease
                else { return nil }
                var next = previous
                next.complete(completion.outcome, now: now, ttl: ttl)
                next.version += 1
                state.put(next, replacing: previous)
                return next
            }
        }
        var results: [CompletionResult] = []
        for job in ended {
            if let job { changes.announce(job) }
            results.append(
                CompletionResult(job: job, settledParent: try await settleParent(of: job, ttl: ttl)))
        }
        return results
    }

    public func renewLeases(_ renewals: [LeaseRenewal], lease: Duration) async throws -> Set<UUID> {
        let until = clock.now().addingTimeInterval(lease.timeInterval)
        return state.withLock { state in
            Set(
                renewals.compactMap { renewal -> UUID? in
                    guard var job = state.jobs[renewal.lease.id], job.lease == renewal.lease else {
                        return renewal.lease.id
                    }
                    job.progress = renewal.progress
                    job.leaseExpiresAt = until
                    state.jobs[job.id] = job
                    return nil
                })
        }
    }

    public func parts(of parent: UUID) async throws -> [Job] {
        state.withLock { state in (state.partsByParent[parent] ?? []).compactMap { state.jobs[$0] } }
    }

    public func partStates(of parent: UUID) async throws -> [JobPartState] {
        try await parts(of: parent).map(JobPartState.init)
    }

    public func requeueLapsed(now: Date, maxAttempts: Int) async throws -> [Job] {
        let moved = state.withLock { state -> [Job] in
            let lapsed = state.running.compactMap { state.jobs[$0] }.filter {
                ($0.leaseExpiresAt ?? now) < now
            }
            return lapsed.map { previous in
                var next = previous
                next.requeueAfterLapse(now: now, maxAttempts: maxAttempts)
                next.version += 1
                state.put(next, replacing: previous)
                return next
            }
        }
        for job in moved { changes.publish(.job(job.id)) }
        if !moved.isEmpty { changes.signalBacklog() }
        return moved
    }

    public func deleteExpired(now: Date) async throws -> Int {
        state.withLock { state in
            let expired = state.jobs.values.filter {
                $0.parent == nil && $0.status.isTerminal && $0.expiresAt < now
            }.map(\.id)
            for id in expired { state.remove(id) }
            state.heartbeats = state.heartbeats.filter { $0.value.until > now }
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

    public func queuedCount() async throws -> Int { state.withLock { $0.queued } }

    public func oldestQueuedAt() async throws -> Date? {
        state.withLock { state in
            state.jobs.values.lazy.filter { $0.status == .queued }.map(\.createdAt).min()
        }
    }

    public func ping() async throws {}

    public func recordHeartbeat(replica: String, document: String, until: Date) async throws {
        state.withLock { $0.heartbeats[replica] = (document, until) }
    }

    public func heartbeats(now: Date) async throws -> [String] {
        state.withLock { state in state.heartbeats.values.filter { $0.until > now }.map(\.document) }
    }
}
