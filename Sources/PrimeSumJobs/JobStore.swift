import Foundation

/// The response store, grown to hold the queue too: every backend (memory, SQLite, PostgreSQL,
/// Redis, CouchDB) implements it and passes the same contract suite.
///
/// Its writes are intents that the store checks itself: a worker completes or renews only a
/// job it still holds under the lease it claimed it with (`JobLease`), a cancel ends only a job
/// that has not ended, a part's completion settles its parent. No caller reads a job, changes
/// it and writes it back. Backends throw `JobStoreError`. Optional capabilities are protocols
/// of their own: `CleanerLeaseStore`, `HeartbeatStore`.
public protocol JobStore: Sendable {
    /// In-process notifications of job changes, for long-polls and idle workers.
    var changes: JobChangeFeed { get }

    /// The clock every timestamp and lease of this store is read from: the store server's own
    /// where it has one (see `StoreClock`). Callers pass its `now()` wherever a method takes one.
    var clock: StoreClock { get }

    /// Takes a new job in, in one step: when its idempotency key is already stored for its
    /// owner, that job (`duplicate`); else, for a job that is not a part, when its range has a
    /// FINISHED result unexpired at its `createdAt`, the owner's own finished job or the job
    /// finished with that sum and stored (`answered`); else, when `queueing`, the job stored as
    /// it is (`accepted`): QUEUED, or IN_PROGRESS already claimed (`Job.claim`) by an idle
    /// worker of this process, which then computes it without a claim. Nil only when not
    /// `queueing` and nothing answered it.
    func submit(_ job: Job, queueing: Bool) async throws -> Submission?

    /// The job with this id, or nil.
    func job(id: UUID) async throws -> Job?

    /// Atomically takes up to `workers.count` of the oldest QUEUED jobs, at most `parts` of
    /// them parts of split jobs (once that many are taken, the parts still queued are passed
    /// by): each IN_PROGRESS (`Job.claim`), the oldest leased to `workers[0]`, the next to
    /// `workers[1]` and so on, for `lease` from the store clock's `now()` read when the claim
    /// lands, attempts + 1. Fewer when fewer such are queued, none when nothing is; a store
    /// that writes each claim on its own (CouchDB) may lose some to other replicas, and their
    /// workers go without, so a worker looks for its job by lease owner. (A worker
    /// pool claims for its idle workers in one round trip this way, and keeps workers off parts
    /// so that a split job never holds every worker while other jobs wait: see `WorkerPool`.)
    func claim(for workers: [String], lease: Duration, parts: Int) async throws -> [Job]

    /// Ends each job as its worker reports (`Job.complete`), but only while it is still held
    /// under the lease it was claimed with; a terminal job lives for `ttl`. A part's completion
    /// settles its parent when it was the last part to finish or the first to fail (a failed
    /// parent's other parts are cancelled). One result per completion, in order.
    func complete(_ completions: [Completion], ttl: Duration) async throws -> [CompletionResult]

    /// Writes each running job's progress and extends its lease by `lease` from the store's
    /// now, while it is still held under the lease named; nothing else of the job changes (not
    /// its version). Returns the ids no longer held: their workers stop computing.
    func renewLeases(_ renewals: [LeaseRenewal], lease: Duration) async throws -> Set<UUID>

    /// Cancels the job unless it has ended, with every part of it that has not; a running
    /// job's worker is refused at its next renewal and stops. Returns the job as stored (ended
    /// either way), or nil when there is no such job.
    func cancel(id: UUID, ttl: Duration) async throws -> Job?

    /// Splits a job the caller holds into one QUEUED part per plan (`Job.part`) and marks it
    /// split (`Job.markSplit`). Returns the parent as stored, or nil when it was no longer held
    /// (the parts of a parent cancelled meanwhile are cancelled too). Splitting the same parent
    /// again finds the parts already stored. A range that ends at or before the parent's `a`
    /// is subtracted (`Job.isSubtracted(from:)`): [a, b) as [0, b) and [0, a).
    func split(_ parent: Job, into parts: [JobPartPlan], ttl: Duration) async throws -> Job?

    /// Settles a split parent whose parts allow it (see `complete`); returns it when this call
    /// settled it, nil when it is not split, still waits for parts or was settled before.
    func settle(parentID: UUID, ttl: Duration) async throws -> Job?

    /// The parts of the job `parent`, in any order (none for a job that was not split).
    func parts(of parent: UUID) async throws -> [Job]

    /// Where each part of the job `parent` stands (`JobPartState`), in any order: `parts(of:)`
    /// without what only a settlement reads, for the parent's document and its cancellation.
    func partStates(of parent: UUID) async throws -> [JobPartState]

    /// Returns IN_PROGRESS jobs whose lease lapsed before `now` to QUEUED, or FAILED once they
    /// have been attempted `maxAttempts` times (`Job.requeueAfterLapse`; a split parent is
    /// only given its next settlement check). Returns the jobs it moved, as stored.
    func requeueLapsed(now: Date, maxAttempts: Int) async throws -> [Job]

    /// Deletes terminal jobs (not parts) that expired before `now`, each with its parts
    /// whatever their own expiry, and heartbeats no longer listed at `now`; returns how many
    /// jobs, parts not counted.
    func deleteExpired(now: Date) async throws -> Int

    /// The number of QUEUED jobs.
    func queuedCount() async throws -> Int

    /// When the oldest QUEUED job or part was created; nil when none is queued. Read through
    /// the queue's index: the cleaner gauges the queue's age with it.
    func oldestQueuedAt() async throws -> Date?

    /// Throws when the store cannot serve requests.
    func ping() async throws
}

extension JobStore {
    /// Takes the oldest QUEUED job for `worker`, or when not `includingParts` the oldest that
    /// is not a part (`claim(for:lease:parts:)`).
    public func claimNext(worker: String, lease: Duration, includingParts: Bool = true) async throws -> Job? {
        try await claim(for: [worker], lease: lease, parts: includingParts ? 1 : 0).first
    }

    /// Splits a job the caller holds into one part per range (`split(_:into:ttl:)`).
    public func split(_ parent: Job, into ranges: [Range<UInt64>], ttl: Duration) async throws -> Job? {
        try await split(parent, into: ranges.map { JobPartPlan($0) }, ttl: ttl)
    }

    /// Submits a job that may be queued (`submit(_:queueing:)`).
    public func submit(_ job: Job) async throws -> Submission {
        guard let submission = try await submit(job, queueing: true) else {
            throw JobStoreError.unavailable("job \(job.id) was neither queued nor answered")
        }
        return submission
    }

    /// Gives a job held under its lease back to the queue for another worker
    /// (`JobOutcome.handedBack`); should the store not answer, the lease lapses and the cleaner
    /// requeues the job.
    public func handBack(_ job: Job, ttl: Duration) async {
        _ = try? await complete([Completion(job, .handedBack)], ttl: ttl)
    }
}
