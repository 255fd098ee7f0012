import Foundation
import PrimeSumJobs
import Synchronization

/// A memory store for tests that counts its operations and runs a test's step before any of
/// them: to fail it, as a store going down mid-request does, or to race it (fault injection
/// around the real memory store); it can also hold an operation's calls until enough of them
/// overlap, and count how many did. It has neither optional capability (`CleanerLeaseStore`,
/// `HeartbeatStore`), as a store may not.
public final class InstrumentedJobStore: JobStore {
    /// The operations a test counts or steps into.
    public enum Operation: Hashable, Sendable {
        case submit, read, claim, complete, ping, count
    }

    /// The memory store underneath, for a test to read without counting.
    public let base = MemoryJobStore()
    private let counts = Mutex<[Operation: Int]>([:])
    private let steps = Mutex<[Operation: @Sendable (_ call: Int) throws -> Void]>([:])
    private let holds = Mutex<[Operation: (calls: Int, atMost: Duration)]>([:])
    private let overlap = Mutex<[Operation: (now: Int, most: Int)]>([:])

    public init() {}

    /// How many times `operation` ran.
    public func count(of operation: Operation) -> Int { counts.withLock { $0[operation, default: 0] } }

    /// Runs `step` before each `operation`, with the call's number (1 for the first); what it
    /// throws, the operation throws.
    public func before(_ operation: Operation, _ step: @escaping @Sendable (_ call: Int) throws -> Void) {
        steps.withLock { $0[operation] = step }
    }

    /// From now on holds each call of `operation` until `calls` of them have run at once (since
    /// this call), or `atMost` passed: a caller that waits for one call before it makes the
    /// next is held every time.
    public func hold(_ operation: Operation, untilConcurrent calls: Int, atMost: Duration) {
        overlap.withLock { overlap in
            if let now = overlap[operation]?.now { overlap[operation]?.most = now }
        }
        holds.withLock { $0[operation] = (calls, atMost) }
    }

    /// The most calls of `operation` that were running at once.
    public func mostConcurrent(_ operation: Operation) -> Int {
        overlap.withLock { $0[operation]?.most ?? 0 }
    }

    private func enter<Result>(_ operation: Operation, _ body: () async throws -> Result) async throws
        -> Result
    {
        let call = counts.withLock { counts in
            counts[operation, default: 0] += 1
            return counts[operation, default: 0]
        }
        try steps.withLock { $0[operation] }?(call)
        overlap.withLock { overlap in
            var calls = overlap[operation] ?? (0, 0)
            calls.now += 1
            calls.most = max(calls.most, calls.now)
            overlap[operation] = calls
        }
        defer { overlap.withLock { $0[operation]?.now -= 1 } }
        if let hold = holds.withLock({ $0[operation] }) {
            let givenUp = ContinuousClock.now + hold.atMost
            while mostConcurrent(operation) < hold.calls && ContinuousClock.now < givenUp {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        return try await body()
    }

    public var changes: JobChangeFeed { base.changes }
    public var clock: StoreClock { base.clock }
    public func submit(_ job: Job, queueing: Bool) async throws -> Submission? {
        try await enter(.submit) { try await base.submit(job, queueing: queueing) }
    }
    public func job(id: UUID) async throws -> Job? {
        try await enter(.read) { try await base.job(id: id) }
    }
    public func claim(for workers: [String], lease: Duration, parts: Int) async throws -> [Job] {
        try await enter(.claim) { try await base.claim(for: workers, lease: lease, parts: parts) }
    }
    public func complete(_ completions: [Completion], ttl: Duration) async throws -> [CompletionResult] {
        try await enter(.complete) { try await base.complete(completions, ttl: ttl) }
    }
    public func renewLeases(_ renewals: [LeaseRenewal], lease: Duration) async throws -> Set<UUID> {
        try await base.renewLeases(renewals, lease: lease)
    }
    public func cancel(id: UUID, ttl: Duration) async throws -> Job? {
        try await base.cancel(id: id, ttl: ttl)
    }
    public func split(_ parent: Job, into parts: [JobPartPlan], ttl: Duration) async throws -> Job? {
        try await base.split(parent, into: parts, ttl: ttl)
    }
    public func settle(parentID: UUID, ttl: Duration) async throws -> Job? {
        try await base.settle(parentID: parentID, ttl: ttl)
    }
    public func parts(of parent: UUID) async throws -> [Job] { try await base.parts(of: parent) }
    public func partStates(of parent: UUID) async throws -> [JobPartState] {
        try await base.partStates(of: parent)
    }
    public func requeueLapsed(now: Date, maxAttempts: Int) async throws -> [Job] {
        try await base.requeueLapsed(now: now, maxAttempts: maxAttempts)
    }
    public func deleteExpired(now: Date) async throws -> Int { try await base.deleteExpired(now: now) }
    public func queuedCount() async throws -> Int { try await enter(.count) { try await base.queuedCount() } }
    public func oldestQueuedAt() async throws -> Date? {
        try await enter(.count) { try await base.oldestQueuedAt() }
    }
    public func ping() async throws { try await enter(.ping) { try await base.ping() } }
}
