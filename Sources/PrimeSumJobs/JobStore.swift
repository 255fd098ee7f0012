import Foundation

/// The response store, grown to hold the queue too: every backend (memory, SQLite, PostgreSQL,
/// Redis, CouchDB) implements it and passes the same contract suite.
///
/// Backends throw `JobStoreError`; a write that loses a compare-and-swap returns nil rather
/// than throwing.
public protocol JobStore: Sendable {
    /// In-process notifications of job changes, for long-polls and idle workers.
    var changes: JobChangeFeed { get }

    /// The clock every timestamp and lease of this store is read from: the store server's own
    /// where it has one (see `StoreClock`). Callers pass its `now()` wherever a method takes one.
    var clock: StoreClock { get }

    /// Inserts a QUEUED job. When the job has an idempotency key already stored for the same
    /// owner, stores nothing and returns the existing job with `created == false`.
    func create(_ job: Job) async throws -> (job: Job, created: Bool)

    /// The job with this id, or nil.
    func job(id: UUID) async throws -> Job?

    /// The job created with this idempotency key by this owner, or nil.
    func job(idempotencyKey: String, owner: String?) async throws -> Job?

    /// A FINISHED job (not a part) for exactly [a, b) that has not expired at `now`, or nil.
    func finishedJob(a: UInt64, b: UInt64, now: Date) async throws -> Job?

    /// Atomically takes the oldest QUEUED job: IN_PROGRESS (`Job.claim`), leased to `worker`
    /// for `lease` from the store clock's `now()` read when the claim lands, attempts + 1. Nil
    /// when nothing is queued.
    func claimNext(worker: String, lease: Duration) async throws -> Job?

    /// Writes `job` if the stored version still equals `job.version` (compare-and-swap); returns
    /// the stored job, version + 1, or nil when another writer came first or the job is gone.
    func update(_ job: Job) async throws -> Job?

    /// The parts of the job `parent`, in any order (none for a job that was not split).
    func parts(of parent: UUID) async throws -> [Job]

    /// Returns IN_PROGRESS jobs whose lease lapsed before `now` to QUEUED, or FAILED once they
    /// have been attempted `maxAttempts` times. Returns the jobs it moved, as stored.
    func requeueLapsed(now: Date, maxAttempts: Int) async throws -> [Job]

    /// Deletes terminal jobs (not parts) that expired before `now`, each with its parts
    /// whatever their own expiry, and heartbeats no longer listed at `now`; returns how many
    /// jobs, parts not counted.
    func deleteExpired(now: Date) async throws -> Int

    /// Takes or renews the cluster-wide cleaner lease for `holder` until `until`; false while
    /// another holder's lease is still running.
    func acquireCleanerLease(holder: String, until: Date, now: Date) async throws -> Bool

    /// The number of QUEUED jobs.
    func queuedCount() async throws -> Int

    /// Stores a replica's heartbeat (`document`, the JSON of a `ReplicaHeartbeat`), replacing
    /// that replica's last one; it is listed until `until`.
    func recordHeartbeat(replica: String, document: String, until: Date) async throws

    /// The heartbeat documents still listed at `now`, one per replica.
    func heartbeats(now: Date) async throws -> [String]

    /// Throws when the store cannot serve requests.
    func ping() async throws
}
