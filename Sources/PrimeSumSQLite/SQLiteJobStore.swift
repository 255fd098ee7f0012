import Foundation
import GRDB
import PrimeSumJobs

/// The `sqlite:PATH` store, the embedded default: one file in WAL mode through GRDB, so jobs
/// (queued ones included) survive restarts. Every write runs in a SQLite transaction, which
/// makes claims and compare-and-swap updates atomic across the process's workers; writes that
/// arrive while one runs are committed together in the next (group commit), each in a savepoint
/// of its own, and each is acknowledged only after that transaction committed.
public final class SQLiteJobStore: CompareAndSwapJobStore, CleanerLeaseStore, HeartbeatStore {
    private let database: DatabasePool
    public let changes = JobChangeFeed()
    /// This machine's clock: SQLite has none of its own, and the replicas sharing its file
    /// share the machine (a clock set apart, as `faketime` does, is clamped by `Job.claim`).
    public let clock: StoreClock
    /// One writer at a time, as SQLite allows: a batch is one transaction.
    private let writes: GroupCommit<Write, Result<any Sendable, any Error>>
    private typealias Write = @Sendable (Database) throws -> any Sendable

    /// Opens (creating when needed) the database at `path` and brings its schema up to date.
    public init(path: String, clock: StoreClock = StoreClock()) throws {
        self.clock = clock
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            // In WAL mode NORMAL survives a process crash (only an OS crash can lose the
            // last commits) and spares an fsync per transaction.
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw JobStoreError.unavailable("cannot open SQLite database at \(path): \(error)")
        }
        writes = GroupCommit(store: "sqlite", maximumBatch: 256, concurrency: 1) { [database] batch in
            try Self.commit(batch, in: database)
        }
    }

    /// Runs a batch of writes in one transaction, each in a savepoint of its own: a write that
    /// fails rolls back alone and the others still commit. A write alone needs no savepoint:
    /// its transaction rolls back with it.
    private static func commit(_ batch: [Write], in database: DatabasePool) throws -> [Result<
        any Sendable, any Error
    >] {
        if batch.count == 1 {
            return [Result { try database.write { db in try batch[0](db) } }]
        }
        return try database.write { db in
            batch.map { write in
                var outcome: Result<any Sendable, any Error> = .failure(JobStoreError.unavailable("not run"))
                do {
                    try db.inSavepoint {
                        outcome = .success(try write(db))
                        return .commit
                    }
                } catch { outcome = .failure(error) }
                return outcome
            }
        }
    }

    /// The schema's migrations, from `Schema/vN-….sql`, each under the identifier it has
    /// always had in `grdb_migrations`.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (identifier, script) in [
            ("v1: jobs and leases", PackageResources.v1_jobs_and_leases_sql),
            ("v2: replica heartbeats", PackageResources.v2_replica_heartbeats_sql),
            ("v3: parts", PackageResources.v3_parts_sql),
            ("v4: settlement checks", PackageResources.v4_settlement_checks_sql),
            ("v5: the queue of whole jobs", PackageResources.v5_the_queue_of_whole_jobs_sql),
            ("v6: worker and trace", PackageResources.v6_worker_and_trace_sql),
            ("v7: pieces of prefix sums", PackageResources.v7_pieces_of_prefix_sums_sql),
        ] {
            migrator.registerMigration(identifier) { db in
                try db.execute(sql: String(decoding: script, as: UTF8.self))
            }
        }
        return migrator
    }

    /// One write transaction: the key, the result and the insert.
    public func submit(_ job: Job, queueing: Bool) async throws -> Submission? {
        let (inserted, submission) = try await write { db -> (Job?, Submission?) in
            if let key = job.idempotencyKey,
                let existing = try Self.fetchByKey(db, key: key, owner: job.owner)
            {
                return (nil, .duplicate(existing))
            }
            let known =
                job.parent == nil ? try Self.finishedJob(db, a: job.a, b: job.b, at: job.createdAt) : nil
            let (insert, submission) = Submission.of(job, answeredBy: known, queueing: queueing)
            if let insert {
                try db.cachedStatement(sql: Self.insert).execute(
                    arguments: StatementArguments(StatementArguments.values(for: insert)))
            }
            return (insert, submission)
        }
        if let inserted { changes.announce(inserted) }
        return submission
    }

    public func job(id: UUID) async throws -> Job? {
        try read { db in try Self.fetch(db, id: id) }
    }

    public func claim(for workers: [String], lease: Duration, parts: Int) async throws -> [Job] {
        // Most claims find nothing (a worker woken for a job another took, or done with its
        // own): a read sees that without a write transaction.
        guard !workers.isEmpty,
            try read({ db in try Bool.fetchOne(db.cachedStatement(sql: Self.anyQueued(parts > 0))) ?? false })
        else { return [] }
        return try await write { [clock] db -> [Job] in
            let now = clock.now()
            var claimed: [Job] = []
            var partsLeft = parts
            while claimed.count < workers.count,
                var job = try Row.fetchOne(db.cachedStatement(sql: Self.oldestQueued(partsLeft > 0))).map(
                    Self.job)
            {
                job.claim(by: workers[claimed.count], lease: lease, now: now)
                guard let stored = try Self.overwrite(db, job) else { break }
                if stored.parent != nil { partsLeft -= 1 }
                claimed.append(stored)
            }
            return claimed
        }
    }

    /// Whether a job is QUEUED, a part or not, or one that is not a part.
    private static func anyQueued(_ includingParts: Bool) -> String {
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE \(queued(includingParts)))"
    }

    /// The oldest QUEUED job, a part or not, or the oldest that is not a part.
    private static func oldestQueued(_ includingParts: Bool) -> String {
        "SELECT * FROM jobs WHERE \(queued(includingParts)) ORDER BY created_at LIMIT 1"
    }

    private static func queued(_ includingParts: Bool) -> String {
        includingParts ? "status = 'QUEUED'" : "status = 'QUEUED' AND parent_id IS NULL"
    }

    public func update(_ job: Job) async throws -> Job? {
        let stored = try await write { db in try Self.overwrite(db, job) }
        if let stored {
            changes.announce(stored)
        }
        return stored
    }

    /// In one transaction with the parents they settle.
    public func complete(_ completions: [Completion], ttl: Duration) async throws -> [CompletionResult] {
        let results = try await write { [clock] db -> [CompletionResult] in
            let now = clock.now()
            return try completions.map { completion in
                guard let lease = completion.claimed.lease, var job = try Self.fetch(db, id: lease.id),
                    job.lease == lease
                else { return CompletionResult(job: nil) }
                job.complete(completion.outcome, now: now, ttl: ttl)
                let ended = try Self.overwrite(db, job)
                guard let ended, let parent = ended.parent, ended.status.isTerminal else {
                    return CompletionResult(job: ended)
                }
                return CompletionResult(
                    job: ended, settledParent: try Self.settle(db, parentID: parent, now: now, ttl: ttl))
            }
        }
        for result in results {
            if let job = result.job { changes.announce(job) }
            if let parent = result.settledParent { changes.announce(parent) }
        }
        return results
    }

    public func renewLeases(_ renewals: [LeaseRenewal], lease: Duration) async throws -> Set<UUID> {
        let until = clock.now().addingTimeInterval(lease.timeInterval).epochMilliseconds
        return try await write { db -> Set<UUID> in
            var lost = Set<UUID>()
            for renewal in renewals {
                try db.cachedStatement(sql: Self.renew).execute(arguments: [
                    renewal.progress, until, renewal.lease.id.uuidString, renewal.lease.owner,
                    renewal.lease.attempt,
                ])
                if db.changesCount != 1 { lost.insert(renewal.lease.id) }
            }
            return lost
        }
    }

    private static let renew = """
        UPDATE jobs SET progress = ?, lease_expires_at = ?
        WHERE id = ? AND status = 'IN_PROGRESS' AND lease_owner = ? AND attempts = ?
        """

    /// `CompareAndSwapJobStore.settle` inside a transaction that already holds the write lock:
    /// the parent when this settled it; a failed parent's other parts are cancelled with it.
    private static func settle(_ db: Database, parentID: UUID, now: Date, ttl: Duration) throws -> Job? {
        guard let parent = try fetch(db, id: parentID),
            let settled = parent.settled(by: try parts(db, of: parentID), now: now, ttl: ttl),
            let stored = try overwrite(db, settled)
        else { return nil }
        if stored.status == .failed {
            for part in try parts(db, of: parentID) where !part.status.isTerminal {
                var cancelled = part
                cancelled.cancel(now: now, ttl: ttl)
                _ = try overwrite(db, cancelled)
            }
        }
        return stored
    }

    private static func fetch(_ db: Database, id: UUID) throws -> Job? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM jobs WHERE id = ?"), arguments: [id.uuidString]
        )
        .map(job)
    }

    private static func parts(_ db: Database, of parent: UUID) throws -> [Job] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM jobs WHERE parent_id = ?"), arguments: [parent.uuidString]
        ).map(job)
    }

    public func parts(of parent: UUID) async throws -> [Job] {
        try read { db in try Self.parts(db, of: parent) }
    }

    public func partStates(of parent: UUID) async throws -> [JobPartState] {
        try read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT \(JobRecord.selectListWithoutPieceResult) FROM jobs WHERE parent_id = ?"),
                arguments: [parent.uuidString]
            ).map { JobPartState(try Self.job($0)) }
        }
    }

    public func requeueLapsed(now: Date, maxAttempts: Int) async throws -> [Job] {
        let moved = try await write { db -> [Job] in
            let lapsed = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT * FROM jobs WHERE status = 'IN_PROGRESS' AND lease_expires_at < ?"),
                arguments: [now.epochMilliseconds]
            ).map(Self.job)
            return try lapsed.compactMap { job in
                var next = job
                next.requeueAfterLapse(now: now, maxAttempts: maxAttempts)
                return try Self.overwrite(db, next)
            }
        }
        for job in moved { changes.publish(.job(job.id)) }
        if !moved.isEmpty { changes.signalBacklog() }
        return moved
    }

    public func deleteExpired(now: Date) async throws -> Int {
        try await write { db in
            // Parts go with their parent, whatever their own expiry.
            let expired =
                "SELECT id FROM jobs WHERE expires_at < ? AND status IN ('FINISHED', 'FAILED', 'CANCELLED') AND parent_id IS NULL"
            try db.cachedStatement(sql: "DELETE FROM jobs WHERE parent_id IN (\(expired))").execute(
                arguments: [
                    now.epochMilliseconds
                ])
            try db.cachedStatement(sql: "DELETE FROM jobs WHERE id IN (\(expired))").execute(arguments: [
                now.epochMilliseconds
            ])
            let deleted = db.changesCount
            try db.cachedStatement(sql: "DELETE FROM heartbeats WHERE until <= ?").execute(arguments: [
                now.epochMilliseconds
            ])
            return deleted
        }
    }

    public func acquireCleanerLease(holder: String, until: Date, now: Date) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO leases (name, holder, until) VALUES ('cleaner', ?, ?)
                    ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                    WHERE leases.holder = excluded.holder OR leases.until <= ?
                    """
            ).execute(arguments: [holder, until.epochMilliseconds, now.epochMilliseconds])
            return db.changesCount == 1
        }
    }

    public func queuedCount() async throws -> Int {
        try read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM jobs WHERE status = 'QUEUED'"))
                ?? 0
        }
    }

    public func oldestQueuedAt() async throws -> Date? {
        try read { db in
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT MIN(created_at) FROM jobs WHERE status = 'QUEUED'")
            ).map(Date.init(epochMilliseconds:))
        }
    }

    public func ping() async throws {
        _ = try read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func recordHeartbeat(replica: String, document: String, until: Date) async throws {
        try await write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO heartbeats (replica, document, until) VALUES (?, ?, ?)
                    ON CONFLICT(replica) DO UPDATE SET document = excluded.document, until = excluded.until
                    """
            ).execute(arguments: [replica, document, until.epochMilliseconds])
        }
    }

    public func heartbeats(now: Date) async throws -> [String] {
        try read { db in
            try String.fetchAll(
                db.cachedStatement(sql: "SELECT document FROM heartbeats WHERE until > ?"),
                arguments: [now.epochMilliseconds])
        }
    }

    // MARK: - Rows

    // Statements are compiled once per connection (GRDB's statement cache): compiling one,
    // with GRDB's authorizer watching every column, cost more than running it.
    private static let insert =
        "INSERT INTO jobs (\(JobRecord.columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: JobRecord.columns.count).joined(separator: ", ")))"
    private static let update =
        "UPDATE jobs SET \(JobRecord.columns.dropFirst().map { "\($0) = ?" }.joined(separator: ", ")) WHERE id = ? AND version = ?"

    /// Writes every column of `job` when the stored version is `job.version`; returns the job
    /// with its new version, or nil on a lost compare-and-swap.
    private static func overwrite(_ db: Database, _ job: Job) throws -> Job? {
        var next = job
        next.version += 1
        var arguments: [DatabaseValueConvertible?] = Array(StatementArguments.values(for: next).dropFirst())
        arguments.append(job.id.uuidString)
        arguments.append(job.version)
        try db.cachedStatement(sql: update).execute(arguments: StatementArguments(arguments))
        return db.changesCount == 1 ? JobRecord.stored(next) : nil
    }

    private static func finishedJob(_ db: Database, a: UInt64, b: UInt64, at now: Date) throws -> Job? {
        try Row.fetchOne(
            db.cachedStatement(
                sql:
                    "SELECT * FROM jobs WHERE a = ? AND b = ? AND status = 'FINISHED' AND expires_at > ? AND parent_id IS NULL LIMIT 1"
            ),
            arguments: ["\(a)", "\(b)", now.epochMilliseconds]
        ).map(Self.job)
    }

    private static func fetchByKey(_ db: Database, key: String, owner: String?) throws -> Job? {
        try Row.fetchOne(
            db.cachedStatement(
                sql: "SELECT * FROM jobs WHERE idempotency_key = ? AND COALESCE(owner, '') = ?"),
            arguments: [key, owner ?? ""]
        ).map(job)
    }

    /// The job in a `SELECT *` row, read by position (the table's columns are
    /// `JobRecord.columns`): GRDB's lookup by name lowercases the name for every cell.
    private static func job(_ row: Row) throws -> Job {
        guard let id = UUID(uuidString: row[0]) else {
            throw JobStoreError.corrupt("job row \(row[0] as String? ?? "?")")
        }
        return try JobRecord(
            id: id, status: row[1], a: row[2], b: row[3], sum: row[4], progress: row[5], createdAt: row[6],
            startedAt: row[7], finishedAt: row[8], expiresAt: row[9], attempts: row[10], errorCode: row[11],
            errorMessage: row[12], version: row[13], leaseOwner: row[14], leaseExpiresAt: row[15],
            idempotencyKey: row[16], owner: row[17],
            parentID: (row[18] as String?).flatMap(UUID.init(uuidString:)),
            partCount: row[19], worker: row[20], traceContext: row[21], piece: row[22], pieceResult: row[23]
        ).job()
    }

    // MARK: - Access

    // Reads and write batches run on the calling thread (GRDB's synchronous API): they are
    // microseconds of SQLite work on a local file, and handing each to a dispatch queue and
    // back cost two thread switches, more than the work. Writes stay one at a time (the group
    // commit runs one batch at a time) and reads never wait for them (WAL).

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.read(body) } catch let error as JobStoreError { throw error } catch {
            throw JobStoreError.unavailable("\(error)")
        }
    }

    /// Runs `body` in the next group-committed transaction; returns once it committed.
    private func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        do {
            let value = try await writes.write { db in try body(db) }.get()
            guard let value = value as? T else {
                throw JobStoreError.corrupt("a write returned \(type(of: value))")
            }
            return value
        } catch let error as JobStoreError { throw error } catch {
            throw JobStoreError.unavailable("\(error)")
        }
    }
}

extension StatementArguments {
    /// The values of `job` in `JobRecord.columns` order.
    fileprivate static func values(for job: Job) -> [DatabaseValueConvertible?] {
        JobRecord(job).values.map { value -> DatabaseValueConvertible? in
            switch value {
            case .uuid(let uuid): uuid.uuidString
            case .text(let text): text
            case .integer(let integer): integer
            case .real(let real): real
            }
        }
    }
}
