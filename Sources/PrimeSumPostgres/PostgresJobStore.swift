import Foundation
import Logging
import NIOSSL
import PostgresNIO
import PrimeSumJobs
import PrimeSumTLS
import ServiceLifecycle
import Synchronization

/// The `postgres://` store, for many replicas: jobs in one table; submits and completions
/// group-committed, each completion fenced by its lease in its statement; claims with
/// `FOR UPDATE SKIP LOCKED`; the rarer writes compare-and-swaps on `version`; and a trigger
/// that sends NOTIFY when a job is queued or ends (an end with the row), which each replica's
/// listener turns into local wake-ups for idle workers and `?wait=` long-polls.
///
/// It is also a `Service`: its connection pool and its listener run for the application's life.
public final class PostgresJobStore: CompareAndSwapJobStore, CleanerLeaseStore, HeartbeatStore, Service {
    public let changes = JobChangeFeed()
    /// PostgreSQL's `clock_timestamp()`, read through this replica's clock (`synchronizeClock`).
    public let clock: StoreClock
    private let client: PostgresClient
    private let schema: String
    private let logger: Logger
    /// Submissions that arrive together share one transaction.
    private let submissions: GroupCommit<PendingSubmission, Submission?>
    /// Completions that arrive together share one transaction too.
    private let completions: GroupCommit<PendingCompletion, CompletionResult>
    /// The channel the trigger notifies, per schema so deployments sharing a database stay apart.
    private var channel: String { "primesum_\(schema)" }

    /// `clock` reads this replica's clock (a test gives a skewed one); the store sets it to
    /// the server's. Throws `JobStoreError.invalidConfiguration` when a TLS file cannot be read.
    public init(url: PostgresStoreURL, logger: Logger, clock: StoreClock = StoreClock()) throws {
        self.clock = clock
        let writer = String(UUID().uuidString.prefix(8))
        self.writer = writer
        let tls = try Self.tls(url.tls)
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password,
            database: url.database, tls: tls.client)
        var probe = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password,
            database: url.database, tls: tls.connection)
        probe.options.connectTimeout = .seconds(2)
        probeConfiguration = probe
        configuration.options.maximumConnections = url.poolSize
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [
            ("options", "-c search_path=\(url.schema)"), ("application_name", "primesum-\(writer)"),
        ]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        schema = url.schema
        self.logger = logger
        failure = Failure(tls: url.tls, host: url.host, port: url.port)
        let failure = failure
        submissions = GroupCommit(store: "postgres", maximumBatch: 500, concurrency: max(1, url.poolSize / 3))
        {
            batch in
            try await failure.mapped {
                try await withDeadline(Self.operationTimeout, expired: { Self.timedOut }) {
                    try await Self.committed(client: client, logger: logger) { connection in
                        try await Self.submit(batch, on: connection, logger: logger)
                    }
                }
            }
        }
        completions = GroupCommit(store: "postgres", maximumBatch: 200, concurrency: max(1, url.poolSize / 3))
        {
            batch in
            try await failure.mapped {
                try await withDeadline(Self.operationTimeout, expired: { Self.timedOut }) {
                    try await Self.committed(client: client, logger: logger) { connection in
                        try await Self.complete(batch, now: clock.now(), on: connection, logger: logger)
                    }
                }
            }
        }
    }

    private let migrated = Atomic<Bool>(false)
    /// One connection of the pool's settings, opened alone by `probe()`.
    private let probeConfiguration: PostgresConnection.Configuration
    /// This store's tag in the notifications of its writes, which it announced itself.
    private let writer: String

    /// Runs the connection pool, brings the schema up to date, then listens for changes. It
    /// stops at graceful shutdown; listed first among the services, it is the last to stop.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            try await migrate()
            // A few samples at once: the first round trips of a starting replica can be slow.
            for _ in 0..<3 { try? await synchronizeClock() }
            migrated.store(true, ordering: .relaxed)
            group.addTask { await self.listen() }
            group.addTask {
                await self.clock.keepSampling {
                    try await withDeadline(Self.operationTimeout, expired: { Self.timedOut }) {
                        try await self.synchronizeClock()
                    }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    // MARK: - Schema

    /// Brings the schema up to date; safe when many replicas start at once (an advisory lock on
    /// the schema serialises them). Retries, backing off, while the database is unreachable.
    private func migrate() async throws {
        try await retryWhileStarting("PostgreSQL", logger: logger) {
            try await access { try await probe() }
            // Bounded like every other operation: an attempt stuck on a dropped query is retried.
            try await access {
                try await withDeadline(
                    Self.migrationTimeout,
                    expired: {
                        JobStoreError.unavailable(
                            "the migration did not finish within \(Self.migrationTimeout)")
                    },
                    migrateOnce)
            }
        }
    }

    /// Longer than the operation bound: replicas starting together wait on each other's migration.
    private static let migrationTimeout = Duration.seconds(30)

    @Sendable private func migrateOnce() async throws {
        try await client.withTransaction(logger: logger) { connection in
            // One lock per schema: deployments (and tests) sharing a database migrate side by side.
            try await connection.query(
                "SELECT pg_advisory_xact_lock(7243001, hashtext(\(schema)))", logger: logger)
            try await connection.query(
                PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS primesum_migrations (version integer PRIMARY KEY)",
                logger: logger)
            var applied = Set<Int>()
            for try await version in try await connection.query(
                "SELECT version FROM primesum_migrations", logger: logger
            ).decode(Int.self) { applied.insert(version) }
            for (version, statements) in Self.migrations(channel: channel)
            where !applied.contains(version) {
                for statement in statements {
                    try await connection.query(
                        PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO primesum_migrations (version) VALUES (\(version))",
                    logger: logger)
            }
        }
    }

    /// The schema's migrations, version 1 first: the statements of `Schema/vN-….sql`, with
    /// `{{channel}}` standing for the schema's notification channel.
    static func migrations(channel: String) -> [(version: Int, statements: [String])] {
        [
            PackageResources.v1_jobs_sql, PackageResources.v2_heartbeats_sql, PackageResources.v3_parts_sql,
            PackageResources.v4_writer_tags_and_settlement_checks_sql,
            PackageResources.v5_ended_jobs_notified_sql,
            PackageResources.v6_whole_job_queue_sql, PackageResources.v7_part_queue_sql,
            PackageResources.v8_worker_and_trace_sql, PackageResources.v9_pieces_of_prefix_sums_sql,
        ].enumerated().map { index, script in
            let text = String(decoding: script, as: UTF8.self).replacingOccurrences(
                of: "{{channel}}", with: channel)
            return (index + 1, SQLScript(text).statements)
        }
    }

    // MARK: - Clock

    /// The server's clock in epoch milliseconds, for statements that stamp or lease in SQL.
    private static let serverMilliseconds = "(extract(epoch from clock_timestamp()) * 1000)::bigint"

    /// Samples the server's clock into `clock`.
    @Sendable private func synchronizeClock() async throws {
        try await clock.sample(resolution: 1e-6) {
            let now = try await rows("SELECT (extract(epoch from clock_timestamp()) * 1000000)::bigint")
            let microseconds = try now.first?.decode(Int64.self) ?? 0
            return Date(timeIntervalSince1970: Double(microseconds) / 1e6)
        }
    }

    // MARK: - Notifications

    /// Holds one pooled connection LISTENing on the schema's channel and republishes each
    /// notification locally (reconnecting as `JobChangeFeed.follow` does).
    private func listen() async {
        await changes.follow("the PostgreSQL listener", logger: logger) { opened in
            try await client.withConnection { connection in
                try await connection.listen(on: channel) { notifications in
                    opened()
                    for try await notification in notifications { publish(notification.payload) }
                }
            }
        }
    }

    /// `q:ID:TAG` (queued) or `j:ID:TAG[:ROW]` (ended, with the row as JSON when it fit); this
    /// store's own writes (its tag) were announced when they were made
    /// (`JobChangeFeed.announce`).
    private func publish(_ payload: String) {
        let fields = payload.split(separator: ":", maxSplits: 3)
        guard fields.count >= 2, let id = UUID(uuidString: String(fields[1])) else { return }
        if fields.count > 2 && fields[2] == "primesum-\(writer)" { return }
        let ended =
            fields.count > 3
            ? try? JSONDecoder().decode(JobRecord.self, from: Data(fields[3].utf8)).job() : nil
        changes.publish(.job(id), job: ended)
        if fields[0] == "q" { changes.signal(.queue) }
    }

    // MARK: - JobStore

    /// Group-committed with other submissions: one transaction finds the keys and results of
    /// the whole batch and inserts what it must.
    public func submit(_ job: Job, queueing: Bool) async throws -> Submission? {
        try await ready { [self] in
            let submission = try await submissions.write(PendingSubmission(job: job, queueing: queueing))
            switch submission {
            case .accepted(let inserted): changes.announce(inserted)
            case .answered(let answered) where answered.id == job.id: changes.announce(answered)
            default: break
            }
            return submission
        }
    }

    public func job(id: UUID) async throws -> Job? {
        try await ready { [self] in
            try await rows("SELECT * FROM jobs WHERE id = \(id)").first.map(Self.job)
        }
    }

    public func claim(for workers: [String], lease: Duration, parts: Int) async throws -> [Job] {
        guard !workers.isEmpty else { return [] }
        return try await ready { [self] in
            // One statement, on the server's clock: the SET list is `Job.claim` (the contract
            // suite checks they agree). Autocommitted, unlike the writes that report a job's
            // state (`committed`): should its commit fail after the rows came back, the jobs are
            // still QUEUED, other workers take them, and these workers' completions are refused
            // by their leases.
            let leaseMilliseconds = Int64(saturating: lease.timeInterval * 1000)
            // An integer, written in the text: the same in both statements.
            let set = """
                UPDATE jobs SET status = 'IN_PROGRESS', progress = 0,
                    started_at = GREATEST(created_at, \(Self.serverMilliseconds)),
                    attempts = attempts + 1,
                    lease_expires_at = \(Self.serverMilliseconds) + \(leaseMilliseconds),
                    version = version + 1,
                """
            // A worker's own claim, the common one, plans in a tenth of the time of many.
            let query: PostgresQuery =
                workers.count == 1
                ? """
                \(unescaped: set) lease_owner = \(workers[0]), worker = \(workers[0])
                WHERE id = (
                    SELECT id FROM jobs WHERE status = 'QUEUED' \(unescaped: parts > 0 ? "" : "AND parent_id IS NULL")
                    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
                )
                RETURNING *
                """
                : """
                WITH whole AS (
                    SELECT id, created_at FROM jobs WHERE status = 'QUEUED' AND parent_id IS NULL
                    ORDER BY created_at LIMIT \(workers.count) FOR UPDATE SKIP LOCKED
                ), part AS (
                    SELECT id, created_at FROM jobs WHERE status = 'QUEUED' AND parent_id IS NOT NULL
                    ORDER BY created_at LIMIT \(min(parts, workers.count)) FOR UPDATE SKIP LOCKED
                ), chosen AS (
                    SELECT id, row_number() OVER (ORDER BY created_at) AS place
                    FROM (SELECT * FROM whole UNION ALL SELECT * FROM part) AS queued
                    ORDER BY created_at LIMIT \(workers.count)
                )
                \(unescaped: set) lease_owner = (\(workers)::text[])[chosen.place],
                    worker = (\(workers)::text[])[chosen.place]
                FROM chosen WHERE jobs.id = chosen.id
                RETURNING jobs.*
                """
            return try await rows(query).map(Self.job).sorted { $0.createdAt < $1.createdAt }
        }
    }

    public func update(_ job: Job) async throws -> Job? {
        try await ready { [self] in
            let stored = try await committed { connection in
                try await Self.overwrite(job, on: connection, logger: logger)
            }
            if let stored { changes.announce(stored) }
            return stored
        }
    }

    /// Group-committed with other replicas' completions, each in one transaction with the
    /// parent it settles.
    public func complete(_ completions: [Completion], ttl: Duration) async throws -> [CompletionResult] {
        try await ready { [self] in
            let results = try await withThrowingTaskGroup(of: (Int, CompletionResult).self) { group in
                for (index, completion) in completions.enumerated() {
                    group.addTask {
                        (
                            index,
                            try await self.completions.write(
                                PendingCompletion(completion: completion, ttl: ttl))
                        )
                    }
                }
                var results = [CompletionResult](
                    repeating: CompletionResult(job: nil), count: completions.count)
                for try await (index, result) in group { results[index] = result }
                return results
            }
            for result in results {
                if let job = result.job { changes.announce(job) }
                if let parent = result.settledParent { changes.announce(parent) }
            }
            return results
        }
    }

    /// One statement for every renewal, on the server's clock; it touches neither the status
    /// (so no NOTIFY) nor the version.
    public func renewLeases(_ renewals: [LeaseRenewal], lease: Duration) async throws -> Set<UUID> {
        guard !renewals.isEmpty else { return [] }
        return try await ready { [self] in
            let leaseMilliseconds = Int64(saturating: lease.timeInterval * 1000)
            let renewed = try await rows(
                """
                UPDATE jobs SET progress = renewal.progress,
                    lease_expires_at = \(unescaped: Self.serverMilliseconds) + \(leaseMilliseconds)
                FROM unnest(\(renewals.map(\.lease.id))::uuid[], \(renewals.map(\.lease.owner))::text[],
                    \(renewals.map { Int64($0.lease.attempt) })::bigint[], \(renewals.map(\.progress))::float8[])
                    AS renewal(id, owner, attempt, progress)
                WHERE jobs.id = renewal.id AND jobs.status = 'IN_PROGRESS' AND jobs.lease_owner = renewal.owner
                    AND jobs.attempts = renewal.attempt
                RETURNING jobs.id
                """
            ).map { try $0.decode(UUID.self) }
            return Set(renewals.map(\.lease.id)).subtracting(renewed)
        }
    }

    /// In one transaction, which locks the parent before it reads the parts: of two parts
    /// ending at once, the second to take the lock sees the first.
    public func settle(parentID: UUID, ttl: Duration) async throws -> Job? {
        try await ready { [self] in
            let settled = try await committed { connection in
                try await Self.settle(parentID, now: clock.now(), ttl: ttl, on: connection, logger: logger)
            }
            if let settled { changes.announce(settled) }
            return settled
        }
    }

    public func parts(of parent: UUID) async throws -> [Job] {
        try await ready { [self] in
            try await rows("SELECT * FROM jobs WHERE parent_id = \(parent.uuidString)").map(Self.job)
        }
    }

    public func partStates(of parent: UUID) async throws -> [JobPartState] {
        try await ready { [self] in
            try await rows(
                "SELECT \(unescaped: JobRecord.selectListWithoutPieceResult) FROM jobs WHERE parent_id = \(parent.uuidString)"
            ).map { JobPartState(try Self.job($0)) }
        }
    }

    public func requeueLapsed(now: Date, maxAttempts: Int) async throws -> [Job] {
        try await ready { [self] in
            try await committed { connection in
                let rows = try await connection.query(
                    """
                    SELECT * FROM jobs WHERE status = 'IN_PROGRESS' AND lease_expires_at < \(now.epochMilliseconds)
                    FOR UPDATE SKIP LOCKED
                    """, logger: logger
                ).collect()
                var moved: [Job] = []
                for row in rows {
                    var job = try Self.job(row)
                    job.requeueAfterLapse(now: now, maxAttempts: maxAttempts)
                    if let stored = try await Self.overwrite(job, on: connection, logger: logger) {
                        moved.append(stored)
                    }
                }
                return moved
            }
        }
    }

    public func deleteExpired(now: Date) async throws -> Int {
        try await ready { [self] in
            try await committed { connection in
                // Parts go with their parent, whatever their own expiry.
                try await connection.query(
                    """
                    DELETE FROM jobs WHERE parent_id IN (
                        SELECT upper(id::text) FROM jobs WHERE expires_at < \(now.epochMilliseconds)
                            AND status IN ('FINISHED', 'FAILED', 'CANCELLED') AND parent_id IS NULL)
                    """, logger: logger)
                let deleted = try await connection.query(
                    """
                    DELETE FROM jobs WHERE expires_at < \(now.epochMilliseconds)
                        AND status IN ('FINISHED', 'FAILED', 'CANCELLED') AND parent_id IS NULL RETURNING id
                    """, logger: logger
                ).collect().count
                try await connection.query(
                    "DELETE FROM heartbeats WHERE until <= \(now.epochMilliseconds)", logger: logger)
                return deleted
            }
        }
    }

    public func acquireCleanerLease(holder: String, until: Date, now: Date) async throws -> Bool {
        try await ready { [self] in
            try await committed { connection in
                try await connection.query(
                    """
                    INSERT INTO leases (name, holder, until) VALUES ('cleaner', \(holder), \(until.epochMilliseconds))
                    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                        WHERE leases.holder = excluded.holder OR leases.until <= \(now.epochMilliseconds)
                    RETURNING name
                    """, logger: logger
                ).collect().count == 1
            }
        }
    }

    public func queuedCount() async throws -> Int {
        try await ready { [self] in
            try await rows("SELECT count(*) FROM jobs WHERE status = 'QUEUED'").first?.decode(Int.self) ?? 0
        }
    }

    public func oldestQueuedAt() async throws -> Date? {
        try await ready { [self] in
            let oldest = try await rows("SELECT min(created_at) FROM jobs WHERE status = 'QUEUED'")
            return try oldest.first?.decode(Int64?.self).map(Date.init(epochMilliseconds:))
        }
    }

    public func ping() async throws {
        do {
            try await ready(within: .seconds(2)) { [self] in
                _ = try await rows("SELECT 1")
            }
        } catch let error as JobStoreError where !error.isConfigurationError {
            // The pool retries a connection that fails without telling the query that waits for
            // it: a connection of its own says why (a certificate that no longer verifies…).
            try await access {
                try await withDeadline(.milliseconds(1500), expired: { error }) { try await self.probe() }
            }
            throw error
        }
    }

    /// Opens a connection with the pool's settings, outside the pool, and closes it: it throws
    /// what stops the pool from connecting.
    private func probe() async throws {
        let connection = try await PostgresConnection.connect(
            configuration: probeConfiguration, id: 0, logger: logger)
        try await connection.close()
    }

    public func recordHeartbeat(replica: String, document: String, until: Date) async throws {
        try await ready { [self] in
            try await committed { connection in
                _ = try await connection.query(
                    """
                    INSERT INTO heartbeats (replica, document, until) VALUES (\(replica), \(document), \(until.epochMilliseconds))
                    ON CONFLICT (replica) DO UPDATE SET document = excluded.document, until = excluded.until
                    """, logger: logger)
            }
        }
    }

    public func heartbeats(now: Date) async throws -> [String] {
        try await ready { [self] in
            try await rows("SELECT document FROM heartbeats WHERE until > \(now.epochMilliseconds)").map {
                try $0.decode(String.self)
            }
        }
    }

    // MARK: - Rows

    /// A submission waiting for its group commit.
    private struct PendingSubmission: Sendable {
        var job: Job
        var queueing: Bool
    }

    /// Submits a batch inside the caller's transaction (`JobStore.submit`): the jobs already
    /// holding the batch's keys, then the results for its ranges, then one insert; a key taken
    /// by a concurrent transaction meanwhile is found after the insert.
    private static func submit(
        _ batch: [PendingSubmission], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Submission?] {
        var submissions = [Submission?](repeating: nil, count: batch.count)
        let keyed = batch.indices.filter { batch[$0].job.idempotencyKey != nil }
        var holders = try await jobsHoldingKeys(
            of: keyed.map { batch[$0].job }, on: connection, logger: logger)
        for index in keyed {
            if let holder = holders[KeyOfOwner(batch[index].job)] { submissions[index] = .duplicate(holder) }
        }
        let open = batch.indices.filter { submissions[$0] == nil }
        let results = try await finishedJobs(
            for: open.map { batch[$0].job }.filter { $0.parent == nil }, on: connection, logger: logger)
        var inserts: [(index: Int, job: Job, submission: Submission?)] = []
        for index in open {
            let job = batch[index].job
            let known = results[RangeOf(job)].flatMap { found in
                found.first { $0.owner == job.owner && $0.expiresAt > job.createdAt }
                    ?? found.first { $0.expiresAt > job.createdAt }
            }
            let (insert, submission) = Submission.of(job, answeredBy: known, queueing: batch[index].queueing)
            if let insert {
                inserts.append((index, insert, submission))
            } else {
                submissions[index] = submission
            }
        }
        let inserted = try await insert(inserts.map(\.job), on: connection, logger: logger)
        let lost = inserts.filter { !inserted.contains($0.job.id) }
        for insert in inserts where inserted.contains(insert.job.id) {
            submissions[insert.index] = insert.submission
        }
        if !lost.isEmpty {
            holders = try await jobsHoldingKeys(of: lost.map(\.job), on: connection, logger: logger)
            for insert in lost {
                guard let holder = holders[KeyOfOwner(insert.job)] else {
                    throw JobStoreError.unavailable("job \(insert.job.id) was neither inserted nor found")
                }
                submissions[insert.index] = .duplicate(holder)
            }
        }
        return submissions
    }

    /// An idempotency key under its owner, as the unique index `jobs_idempotency` sees it.
    private struct KeyOfOwner: Hashable {
        var key: String?
        var owner: String
        init(_ job: Job) {
            key = job.idempotencyKey
            owner = job.owner ?? ""
        }
    }

    private struct RangeOf: Hashable {
        var a: UInt64
        var b: UInt64
        init(_ job: Job) {
            a = job.a
            b = job.b
        }
    }

    /// The stored jobs holding the idempotency keys of `jobs`.
    private static func jobsHoldingKeys(
        of jobs: [Job], on connection: PostgresConnection, logger: Logger
    ) async throws -> [KeyOfOwner: Job] {
        guard !jobs.isEmpty else { return [:] }
        var holders: [KeyOfOwner: Job] = [:]
        for row in try await connection.query(
            """
            SELECT * FROM jobs WHERE idempotency_key IS NOT NULL AND (COALESCE(owner, ''), idempotency_key) IN (
                SELECT * FROM unnest(\(jobs.map { $0.owner ?? "" })::text[], \(jobs.map { $0.idempotencyKey ?? "" })::text[]))
            """, logger: logger
        ).collect() {
            let holder = try job(row)
            holders[KeyOfOwner(holder)] = holder
        }
        return holders
    }

    /// The FINISHED jobs (not parts) for the ranges of `jobs` unexpired when the first was created.
    private static func finishedJobs(
        for jobs: [Job], on connection: PostgresConnection, logger: Logger
    ) async throws -> [RangeOf: [Job]] {
        guard let earliest = jobs.map(\.createdAt).min() else { return [:] }
        var results: [RangeOf: [Job]] = [:]
        for row in try await connection.query(
            """
            SELECT * FROM jobs WHERE status = 'FINISHED' AND parent_id IS NULL
                AND expires_at > \(earliest.epochMilliseconds)
                AND (a, b) IN (SELECT * FROM unnest(\(jobs.map { "\($0.a)" })::text[], \(jobs.map { "\($0.b)" })::text[]))
            """, logger: logger
        ).collect() {
            let result = try job(row)
            results[RangeOf(result), default: []].append(result)
        }
        return results
    }

    /// Inserts `jobs` in one statement; the ids inserted (not those whose idempotency key was
    /// taken).
    private static func insert(
        _ jobs: [Job], on connection: PostgresConnection, logger: Logger
    ) async throws -> Set<UUID> {
        guard !jobs.isEmpty else { return [] }
        var binds = PostgresBindings(capacity: jobs.count * JobRecord.columns.count)
        var rows: [String] = []
        let columns = JobRecord.columns
        for (index, job) in jobs.enumerated() {
            let first = index * columns.count
            rows.append("(" + (1...columns.count).map { "$\(first + $0)" }.joined(separator: ", ") + ")")
            for value in JobRecord(job).values {
                switch value {
                case .uuid(let uuid): binds.append(uuid)
                case .text(let text): binds.append(text)
                case .integer(let integer): binds.append(integer)
                case .real(let real): binds.append(real)
                }
            }
        }
        let query = PostgresQuery(
            unsafeSQL: """
                INSERT INTO jobs (\(JobRecord.columns.joined(separator: ", "))) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT DO NOTHING RETURNING id
                """, binds: binds)
        var inserted = Set<UUID>()
        for try await id in try await connection.query(query, logger: logger).decode(UUID.self) {
            inserted.insert(id)
        }
        return inserted
    }

    /// Runs a write in an explicit transaction and returns once PostgreSQL acknowledged its
    /// COMMIT. An autocommitted statement is not enough: on the extended protocol its rows and
    /// CommandComplete arrive (and postgres-nio returns them) before the implicit transaction
    /// commits at Sync, so a backend terminated in between (a fast or immediate shutdown, or a
    /// commit that fails) rolls back a write the caller already reported as done. A COMMIT's
    /// own CommandComplete is sent only after the commit. When its answer is lost the write
    /// may still have landed, which callers treat like any unavailable store: the API answers
    /// 503 and an `Idempotency-Key` retry finds the job.
    private func committed<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await Self.committed(client: client, logger: logger, body)
    }

    private static func committed<T: Sendable>(
        client: PostgresClient, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await leased(client) { connection in
            try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        }
    }

    /// The rows of one autocommitted statement.
    private func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await Self.leased(client) { [logger] connection in
            try await connection.query(query, logger: logger).collect()
        }
    }

    /// Runs `body` on a connection of the pool, closing the connection should the operation be
    /// cancelled (it passed its deadline, see `ready`). postgres-nio cannot cancel a query in
    /// flight: a connection whose packets stopped (a partition drops them) stays leased to its
    /// query until TCP retransmits, up to 13 s after the network healed, and once every
    /// connection of the pool is held so, the pool opens no other. Closed, the connection fails
    /// its query at once and the pool opens a new one.
    private static func leased<T: Sendable>(
        _ client: PostgresClient, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await client.withConnection { connection in
            try await withTaskCancellationHandler {
                try await body(connection)
            } onCancel: {
                // The future's close, not the async one: a cancellation handler cannot wait.
                _ = connection.close() as EventLoopFuture<Void>
            }
        }
    }

    /// Writes every column of `job` when the stored version is `job.version`; the new job
    /// (version + 1), or nil when another writer came first. (A write fenced by a lease instead
    /// is `endHeld`.)
    private static func overwrite(_ job: Job, on connection: PostgresConnection, logger: Logger) async throws
        -> Job?
    {
        let record = JobRecord(job)
        for try await stored in try await connection.query(
            """
            UPDATE jobs SET status = \(record.status), sum = \(record.sum), progress = \(record.progress),
                started_at = \(record.startedAt), finished_at = \(record.finishedAt), expires_at = \(record.expiresAt),
                attempts = \(record.attempts), error_code = \(record.errorCode), error_message = \(record.errorMessage),
                version = version + 1, lease_owner = \(record.leaseOwner),
                lease_expires_at = \(record.leaseExpiresAt), part_count = \(record.partCount),
                worker = \(record.worker)
            WHERE id = \(job.id) AND version = \(Int64(job.version))
            RETURNING version
            """, logger: logger
        ).decode(Int64.self) {
            var next = job
            next.version = Int(stored)
            return JobRecord.stored(next)
        }
        return nil
    }

    /// A completion waiting for its group commit.
    private struct PendingCompletion: Sendable {
        var completion: Completion
        var ttl: Duration
    }

    /// Ends each job while it is held under its claim's lease, from the worker's copy (the
    /// lease is the fence: no read first), settling the parents of parts in the same
    /// transaction. The jobs that are not parts end in one statement, whatever their number:
    /// with the store a round trip away, a statement each would cost the batch a round trip each.
    private static func complete(
        _ batch: [PendingCompletion], now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> [CompletionResult] {
        var results = [CompletionResult](repeating: CompletionResult(job: nil), count: batch.count)
        var wholeJobs: [(index: Int, job: Job, lease: JobLease)] = []
        // A job twice in one statement would be ended once and reported twice: its repeats go
        // after it, one at a time (and find it no longer held unless the first was stale).
        var repeats: [(index: Int, job: Job, lease: JobLease)] = []
        var seen = Set<UUID>()
        for (index, pending) in batch.enumerated() {
            guard let lease = pending.completion.claimed.lease else { continue }
            var job = pending.completion.claimed
            job.complete(pending.completion.outcome, now: now, ttl: pending.ttl)
            if job.parent == nil {
                if seen.insert(job.id).inserted {
                    wholeJobs.append((index, job, lease))
                } else {
                    repeats.append((index, job, lease))
                }
                continue
            }
            let ended = try await endHeld([(job, lease)], on: connection, logger: logger)[0]
            guard let ended, let parent = ended.parent, ended.status.isTerminal else {
                results[index] = CompletionResult(job: ended)
                continue
            }
            results[index] = CompletionResult(
                job: ended,
                settledParent: try await settle(
                    parent, now: now, ttl: pending.ttl, on: connection, logger: logger))
        }
        let ended = try await endHeld(wholeJobs.map { ($0.job, $0.lease) }, on: connection, logger: logger)
        for (whole, job) in zip(wholeJobs, ended) { results[whole.index] = CompletionResult(job: job) }
        for (index, job, lease) in repeats {
            results[index] = CompletionResult(
                job: try await endHeld([(job, lease)], on: connection, logger: logger)[0])
        }
        return results
    }

    /// Writes each job's changing columns in one statement, while it is held under its lease;
    /// per job, in order, the job as stored, or nil when it was no longer held. The ids must
    /// differ.
    private static func endHeld(
        _ jobs: [(job: Job, lease: JobLease)], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Job?] {
        guard !jobs.isEmpty else { return [] }
        // The SQL types of the values bound below, in their order.
        let types = [
            "uuid", "text", "text", "float8", "int8", "int8", "int8", "int8", "text", "text", "text", "int8",
            "int8", "text", "text", "int8",
        ]
        var binds = PostgresBindings(capacity: jobs.count * types.count)
        var rows: [String] = []
        for (index, (job, lease)) in jobs.enumerated() {
            let first = index * types.count
            rows.append(
                "(" + types.enumerated().map { "$\(first + $0 + 1)::\($1)" }.joined(separator: ", ") + ")")
            let record = JobRecord(job)
            binds.append(job.id)
            binds.append(record.status)
            binds.append(record.sum)
            binds.append(record.progress)
            binds.append(record.startedAt)
            binds.append(record.finishedAt)
            binds.append(record.expiresAt)
            binds.append(Int64(record.attempts))
            binds.append(record.errorCode)
            binds.append(record.errorMessage)
            binds.append(record.leaseOwner)
            binds.append(record.leaseExpiresAt)
            binds.append(Int64(record.partCount))
            binds.append(record.pieceResult)
            binds.append(lease.owner)
            binds.append(Int64(lease.attempt))
        }
        let query = PostgresQuery(
            unsafeSQL: """
                UPDATE jobs SET status = v.status, sum = v.sum, progress = v.progress, started_at = v.started_at,
                    finished_at = v.finished_at, expires_at = v.expires_at, attempts = v.attempts,
                    error_code = v.error_code, error_message = v.error_message, version = jobs.version + 1,
                    lease_owner = v.lease_owner, lease_expires_at = v.lease_expires_at, part_count = v.part_count,
                    piece_result = v.piece_result
                FROM (VALUES \(rows.joined(separator: ", "))) AS v(id, status, sum, progress, started_at,
                    finished_at, expires_at, attempts, error_code, error_message, lease_owner, lease_expires_at,
                    part_count, piece_result, held_by, held_attempt)
                WHERE jobs.id = v.id AND jobs.status = 'IN_PROGRESS' AND jobs.lease_owner = v.held_by
                    AND jobs.attempts = v.held_attempt
                RETURNING jobs.id, jobs.version
                """, binds: binds)
        var versions: [UUID: Int] = [:]
        for try await (id, version) in try await connection.query(query, logger: logger).decode(
            (UUID, Int64).self)
        {
            versions[id] = Int(version)
        }
        return jobs.map { job, _ in
            versions[job.id].map { version in
                var stored = job
                stored.version = version
                return JobRecord.stored(stored)
            }
        }
    }

    /// Settles `parentID` inside the caller's transaction: the parent when this settled it; a
    /// failed parent's other parts are cancelled with it.
    private static func settle(
        _ parentID: UUID, now: Date, ttl: Duration, on connection: PostgresConnection, logger: Logger
    ) async throws -> Job? {
        guard
            let parent = try await connection.query(
                "SELECT * FROM jobs WHERE id = \(parentID) FOR UPDATE", logger: logger
            ).collect().first.map(job)
        else { return nil }
        let parts = try await connection.query(
            "SELECT * FROM jobs WHERE parent_id = \(parentID.uuidString)", logger: logger
        ).collect().map(job)
        guard let settled = parent.settled(by: parts, now: now, ttl: ttl),
            let stored = try await overwrite(settled, on: connection, logger: logger)
        else { return nil }
        if stored.status == .failed {
            for part in parts where !part.status.isTerminal {
                var cancelled = part
                cancelled.cancel(now: now, ttl: ttl)
                _ = try await overwrite(cancelled, on: connection, logger: logger)
            }
        }
        return stored
    }

    /// The job in a `RETURNING *` or `SELECT *` row, read by column name; a row without one of
    /// `JobRecord.columns` is corrupt (not a crash).
    private static func job(_ row: PostgresRow) throws -> Job {
        let cells = row.makeRandomAccess()
        func cell(_ name: String) throws -> PostgresCell {
            guard cells.contains(name) else { throw JobStoreError.corrupt("a job row has no column \(name)") }
            return cells[name]
        }
        return try JobRecord(
            id: try cell("id").decode(UUID.self), status: try cell("status").decode(String.self),
            a: try cell("a").decode(String.self), b: try cell("b").decode(String.self),
            sum: try cell("sum").decode(String?.self), progress: try cell("progress").decode(Double.self),
            createdAt: try cell("created_at").decode(Int64.self),
            startedAt: try cell("started_at").decode(Int64?.self),
            finishedAt: try cell("finished_at").decode(Int64?.self),
            expiresAt: try cell("expires_at").decode(Int64.self),
            attempts: try cell("attempts").decode(Int.self),
            errorCode: try cell("error_code").decode(String?.self),
            errorMessage: try cell("error_message").decode(String?.self),
            version: Int(try cell("version").decode(Int64.self)),
            leaseOwner: try cell("lease_owner").decode(String?.self),
            leaseExpiresAt: try cell("lease_expires_at").decode(Int64?.self),
            idempotencyKey: try cell("idempotency_key").decode(String?.self),
            owner: try cell("owner").decode(String?.self),
            parentID: try cell("parent_id").decode(String?.self).flatMap(UUID.init(uuidString:)),
            partCount: try cell("part_count").decode(Int.self),
            worker: try cell("worker").decode(String?.self),
            traceContext: try cell("trace_context").decode(String?.self),
            piece: try cell("piece").decode(String?.self),
            pieceResult: try cell("piece_result").decode(String?.self)
        ).job()
    }

    /// Runs a store operation once the schema is migrated (before that it throws
    /// `JobStoreError.starting`); any failure below the protocol becomes
    /// `JobStoreError.unavailable` (the API answers 503), with no credentials in its text. Each
    /// operation must end within `operationTimeout`, answered or not (see `withDeadline`).
    private func ready<T: Sendable>(
        within limit: Duration = operationTimeout, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard migrated.load(ordering: .relaxed) else {
            throw JobStoreError.starting("the schema is not ready yet")
        }
        return try await access {
            try await withDeadline(
                limit, expired: { JobStoreError.unavailable("PostgreSQL did not answer within \(limit)") },
                body)
        }
    }

    private static let timedOut = JobStoreError.unavailable(
        "PostgreSQL did not answer within \(operationTimeout)")

    /// Longer than any query of this store takes on a live server; an operation that lasts
    /// longer waits on a connection that is gone.
    static let operationTimeout = Duration.seconds(10)

    /// Runs a store operation, mapping failures to `JobStoreError`.
    private func access<T>(_ body: () async throws -> T) async throws -> T {
        try await failure.mapped(body)
    }

    /// How the URL's TLS settings become postgres-nio's, for the pool and for one connection.
    private static func tls(_ settings: TLSSettings) throws -> (
        client: PostgresClient.Configuration.TLS, connection: PostgresConnection.Configuration.TLS
    ) {
        let configuration: TLSConfiguration?
        let context: NIOSSLContext?
        do {
            configuration = try settings.clientConfiguration()
            context = try configuration.map(NIOSSLContext.init(configuration:))
        } catch let error as TLSSettingsError {
            throw JobStoreError.invalidConfiguration(error.description)
        } catch {
            throw JobStoreError.invalidConfiguration("the TLS settings cannot be used: \(error)")
        }
        guard let configuration, let context else { return (.disable, .disable) }
        return settings.mode == .prefer
            ? (.prefer(configuration), .prefer(context)) : (.require(configuration), .require(context))
    }

    /// Turns what postgres-nio throws into `JobStoreError`: a TLS failure with its reason
    /// (`tlsFailed`), anything else `unavailable`.
    private let failure: Failure

    private struct Failure: Sendable {
        let tls: TLSSettings
        /// The server, named in a TLS failure.
        let host: String
        let port: Int
        private var server: String { "\(host):\(port)" }

        func mapped<T>(_ body: () async throws -> T) async throws -> T {
            do {
                return try await body()
            } catch {
                throw storeError(error)
            }
        }

        func storeError(_ error: any Error) -> JobStoreError {
            switch error {
            case let error as JobStoreError: return error
            case let error as PostgresTransactionError:
                return storeError(
                    error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError
                        ?? error)
            case let error as PSQLError:
                if error.code == .sslUnsupported {
                    return .tlsFailed(
                        "PostgreSQL at \(server) does not offer TLS, and sslmode=\(tls.mode.rawValue) requires it"
                    )
                }
                if let underlying = error.underlying, let reason = tls.explain(underlying, host: host) {
                    return .tlsFailed("PostgreSQL at \(server): \(reason)")
                }
                // Class 28, invalid authorization: the user, password or certificate is refused.
                if error.serverInfo?[.sqlState]?.hasPrefix("28") == true {
                    return .invalidConfiguration(
                        "PostgreSQL at \(server) refused the login: \(error.serverInfo?[.message] ?? "")")
                }
                return .unavailable("PostgreSQL: \(error.serverInfo?[.message] ?? "\(error.code)")")
            default:
                if let reason = tls.explain(error, host: host) {
                    return .tlsFailed("PostgreSQL at \(server): \(reason)")
                }
                return .unavailable("PostgreSQL: \(error)")
            }
        }
    }
}
