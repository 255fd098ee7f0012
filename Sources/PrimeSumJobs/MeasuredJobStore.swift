import Foundation
import Metrics

/// Wraps a store and records each operation's latency in
/// `primesum_store_operation_seconds{operation=…}` and its failures in
/// `primesum_store_errors_total{operation=…}`, whatever the backend; it has the optional
/// capabilities its backend has (a cast finds them).
public struct MeasuredJobStore<Base: JobStore>: JobStore {
    private let base: Base
    private let timers: [String: Timer]
    private let errors: [String: Counter]

    /// `metrics` receives the latencies and the failures.
    public init(_ base: Base, metrics: any MetricsFactory = MetricsSystem.factory) {
        self.base = base
        let operations = [
            "submit", "get", "claim", "complete", "renewLeases", "cancel",
            "split",
            "settle", "parts", "partStates", "requeueLapsed",
            "deleteExpired",
            "cleanerLease", "queuedCount", "oldestQueuedAt", "ping", "recordHeartbeat", "heartbeats",
        ]
        var timers: [String: Timer] = [:]
        var errors: [String: Counter] = [:]
        for operation in operations {
            let dimensions = [("operation", operation)]
            timers[operation] = Timer(
                label: "primesum_store_operation_seconds", dimensions: dimensions, factory: metrics)
            errors[operation] = Counter(
                label: "primesum_store_errors_total", dimensions: dimensions, factory: metrics)
        }
        self.timers = timers
        self.errors = errors
    }

    public var changes: JobChangeFeed { base.changes }
    public var clock: StoreClock { base.clock }

    fileprivate func measure<T>(_ operation: String, _ body: () async throws -> T) async rethrows -> T {
        let started = ContinuousClock.now
        defer { timers[operation]?.recordInterval(since: started) }
        do {
            return try await body()
        } catch {
            errors[operation]?.increment()
            throw error
        }
    }

    public func submit(_ job: Job, queueing: Bool) async throws -> Submission? {
        try await measure("submit") { try await base.submit(job, queueing: queueing) }
    }

    public func job(id: UUID) async throws -> Job? {
        try await measure("get") { try await base.job(id: id) }
    }

    public func claim(for workers: [String], lease: Duration, parts: Int) async throws -> [Job] {
        try await measure("claim") { try await base.claim(for: workers, lease: lease, parts: parts) }
    }

    public func complete(_ completions: [Completion], ttl: Duration) async throws -> [CompletionResult] {
        try await measure("complete") { try await base.complete(completions, ttl: ttl) }
    }

    public func renewLeases(_ renewals: [LeaseRenewal], lease: Duration) async throws -> Set<UUID> {
        try await measure("renewLeases") { try await base.renewLeases(renewals, lease: lease) }
    }

    public func cancel(id: UUID, ttl: Duration) async throws -> Job? {
        try await measure("cancel") { try await base.cancel(id: id, ttl: ttl) }
    }

    public func split(_ parent: Job, into parts: [JobPartPlan], ttl: Duration) async throws -> Job? {
        try await measure("split") { try await base.split(parent, into: parts, ttl: ttl) }
    }

    public func settle(parentID: UUID, ttl: Duration) async throws -> Job? {
        try await measure("settle") { try await base.settle(parentID: parentID, ttl: ttl) }
    }

    public func parts(of parent: UUID) async throws -> [Job] {
        try await measure("parts") { try await base.parts(of: parent) }
    }

    public func partStates(of parent: UUID) async throws -> [JobPartState] {
        try await measure("partStates") { try await base.partStates(of: parent) }
    }

    public func requeueLapsed(now: Date, maxAttempts: Int) async throws -> [Job] {
        try await measure("requeueLapsed") {
            try await base.requeueLapsed(now: now, maxAttempts: maxAttempts)
        }
    }

    public func deleteExpired(now: Date) async throws -> Int {
        try await measure("deleteExpired") { try await base.deleteExpired(now: now) }
    }

    public func queuedCount() async throws -> Int {
        try await measure("queuedCount") { try await base.queuedCount() }
    }

    public func oldestQueuedAt() async throws -> Date? {
        try await measure("oldestQueuedAt") { try await base.oldestQueuedAt() }
    }

    public func ping() async throws {
        try await measure("ping") { try await base.ping() }
    }
}

extension JobStore {
    /// This store with each operation's latency recorded (`MeasuredJobStore`).
    public var measured: any JobStore { MeasuredJobStore(self) }
}

extension MeasuredJobStore: CleanerLeaseStore where Base: CleanerLeaseStore {
    public func acquireCleanerLease(holder: String, until: Date, now: Date) async throws -> Bool {
        try await measure("cleanerLease") {
            try await base.acquireCleanerLease(holder: holder, until: until, now: now)
        }
    }
}

extension MeasuredJobStore: HeartbeatStore where Base: HeartbeatStore {
    public func recordHeartbeat(replica: String, document: String, until: Date) async throws {
        try await measure("recordHeartbeat") {
            try await base.recordHeartbeat(replica: replica, document: document, until: until)
        }
    }

    public func heartbeats(now: Date) async throws -> [String] {
        try await measure("heartbeats") { try await base.heartbeats(now: now) }
    }
}

extension Timer {
    /// Records the time since `start`.
    func recordInterval(since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Records `seconds`, read as none when negative or not a number: a duration taken across
    /// two clocks can come out below zero, and a histogram would trap on it when rendered.
    public func recordNonNegative(seconds: Double) {
        recordNanoseconds(max(0, Int64(saturating: seconds * 1e9)))
    }
}
