import Foundation
import Logging
import PrimeSumJobs
import PrimeSumRedisClient
import ServiceLifecycle
import Synchronization

/// The `redis://` store, for many replicas: each job a hash, the queue and the leases sorted
/// sets, every operation one Lua script (atomic in Redis, one round trip), every write
/// conditional on the job's version or on the lease its worker holds. Terminal jobs expire
/// through Redis's own key expiry; the cleaner's sweep also removes them at their expiry, with
/// their result and idempotency keys. Each status change is published (an end with the job's
/// fields) on a channel that every replica subscribes to and turns into local wake-ups for
/// idle workers and `?wait=` long-polls.
///
/// It is also a `Service`: it loads the scripts, then keeps the subscription, for the
/// application's life.
public final class RedisJobStore: CompareAndSwapJobStore, CleanerLeaseStore, HeartbeatStore, Service {
    public let changes = JobChangeFeed()
    /// Redis's `TIME`, read through this replica's clock (`synchronizeClock`).
    public let clock: StoreClock
    private let url: RedisURL
    private let pool: RedisConnectionPool
    private let keys: RedisKeys
    private let logger: Logger
    /// This store's tag in the notifications of its writes, which it announced itself.
    private let writer = String(UUID().uuidString.prefix(8))
    /// Each script's SHA1 in the server's script cache; empty until `run` loaded them.
    private let loaded = Mutex<[RedisScript: String]>([:])

    /// `clock` reads this replica's clock (a test gives a skewed one); the store sets it to
    /// the server's.
    public init(url: RedisURL, logger: Logger, clock: StoreClock = StoreClock()) {
        self.clock = clock
        self.url = url
        pool = RedisConnectionPool(url: url)
        keys = RedisKeys(prefix: url.prefix)
        self.logger = logger
    }

    /// Loads the scripts (retrying while Redis cannot be reached), says what Redis's
    /// persistence means for accepted jobs, then follows the change channel until graceful
    /// shutdown.
    public func run() async throws {
        try await retryWhileStarting("Redis", logger: logger) {
            try await access {
                // A few samples at once: the first round trips of a starting replica can be slow.
                for _ in 0..<3 { try await synchronizeClock() }
                for script in RedisScript.allCases { try await load(script) }
            }
        }
        await warnUnlessDurable()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listen() }
            group.addTask { await self.clock.keepSampling { try await self.synchronizeClock() } }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        pool.close()
    }

    /// Samples Redis's clock (`TIME`: seconds and microseconds) into `clock`.
    private func synchronizeClock() async throws {
        try await clock.sample(resolution: 1e-6) {
            let reply = try await pool.run("TIME")
            guard let parts = reply.array?.compactMap({ $0.string.flatMap(Int64.init) }), parts.count == 2
            else {
                throw JobStoreError.corrupt("TIME answered \(reply)")
            }
            return Date(timeIntervalSince1970: Double(parts[0]) + Double(parts[1]) / 1e6)
        }
    }

    @discardableResult
    private func load(_ script: RedisScript) async throws -> String {
        guard let sha = try await pool.run("SCRIPT", "LOAD", script.source).string else {
            throw RedisClientError.protocolViolation("SCRIPT LOAD did not return a digest")
        }
        loaded.withLock { $0[script] = sha }
        return sha
    }

    /// Says once at start what Redis's settings mean for accepted jobs (docs/redis.md).
    /// Managed services that hide CONFIG are taken on trust.
    private func warnUnlessDurable() async {
        guard
            let reply = try? await pool.run("CONFIG", "GET", "appendonly", "appendfsync", "maxmemory-policy")
                .array
        else { return }
        var settings: [String: String] = [:]
        for pair in stride(from: 0, to: reply.count - 1, by: 2) {
            if let name = reply[pair].string, let value = reply[pair + 1].string { settings[name] = value }
        }
        for (level, message) in Self.durabilityWarnings(settings) { logger.log(level: level, "\(message)") }
    }

    /// What a Redis with these settings (`CONFIG GET` names and values) may lose.
    public static func durabilityWarnings(_ settings: [String: String]) -> [(Logger.Level, String)] {
        var warnings: [(Logger.Level, String)] = []
        if settings["appendonly"] == "no" {
            warnings.append(
                (
                    .warning,
                    "Redis runs without its append-only file: a restart of Redis loses every job it holds (set appendonly yes, see docs/redis.md)"
                ))
        } else if let fsync = settings["appendfsync"], fsync != "always" {
            warnings.append(
                (
                    .notice,
                    "Redis fsyncs its append-only file '\(fsync)': a crash of Redis's machine (not of Redis alone) may lose the last second of accepted jobs (docs/redis.md)"
                ))
        }
        if let policy = settings["maxmemory-policy"], policy.hasPrefix("allkeys") {
            warnings.append(
                (
                    .warning,
                    "Redis evicts any key when its memory is full (maxmemory-policy \(policy)): queued and running jobs can vanish; use noeviction (docs/redis.md)"
                ))
        }
        return warnings
    }

    // MARK: - Notifications

    private func listen() async {
        let url = url
        let channel = keys.changes
        await changes.follow("the Redis subscription", logger: logger) { opened in
            try await RedisSubscriber.listen(to: url, channel: channel, subscribed: opened) { payload in
                publish(payload)
            }
        }
    }

    /// `q:ID:WRITER` (queued) or `j:ID:WRITER[:FIELDS]` (another change of status; an end
    /// carries the job's fields as a JSON object, so a long-poll here answers without reading
    /// it); this store's own writes were announced when they were made
    /// (`JobChangeFeed.announce`).
    private func publish(_ payload: String) {
        let fields = payload.split(separator: ":", maxSplits: 3)
        guard fields.count >= 2, let id = UUID(uuidString: String(fields[1])) else { return }
        if fields.count > 2 && fields[2] == writer { return }
        let ended = fields.count > 3 ? Self.job(publishedFields: fields[3]) : nil
        changes.publish(.job(id), job: ended)
        if fields[0] == "q" { changes.signal(.queue) }
    }

    /// The job in a published JSON object of its hash's fields, or nil when it is not one.
    private static func job(publishedFields json: Substring) -> Job? {
        guard let fields = try? JSONDecoder().decode([String: String].self, from: Data(json.utf8)) else {
            return nil
        }
        return try? job(
            .array(
                JobRecord.columns.map { fields[$0].map { .bulkString(Array($0.utf8)) } ?? .bulkString(nil) }))
    }

    // MARK: - JobStore

    public func submit(_ job: Job, queueing: Bool) async throws -> Submission? {
        try await access {
            var scriptKeys = [
                keys.job(job.id), keys.queue(of: job), keys.leases, keys.expiry,
                keys.result(a: job.a, b: job.b),
            ]
            if let key = job.idempotencyKey {
                scriptKeys.append(keys.idempotency(key: key, owner: job.owner))
                if let parent = job.parent { scriptKeys.append(keys.parts(parent)) }
            }
            let record = JobRecord(job)
            var arguments = [
                RedisKeys.member(job.id), String(record.createdAt), keys.changes, writer,
                queueing ? "1" : "0",
                job.owner ?? "", String(record.expiresAt), job.parent == nil ? "1" : "0",
                keys.prefix + "job:", record.leaseExpiresAt.map { String($0) } ?? "",
            ]
            for (column, value) in zip(JobRecord.columns, record.values) {
                if let text = Self.text(value) { arguments += [column, text] }
            }
            let reply = try await evaluate(.submit, keys: scriptKeys, arguments: arguments).array ?? []
            let found = try reply.count > 1 ? Self.job(reply[1]) : nil
            switch (reply.first?.string, found) {
            case ("s", _):
                changes.announce(job)
                return .accepted(job)
            case ("n", _): return nil
            case ("d", let holder?): return .duplicate(holder)
            case ("a", let known?): return .answered(known)
            case ("c", let answered?):
                changes.announce(answered)
                return .answered(answered)
            default: throw JobStoreError.unavailable("job \(job.id) was neither queued nor found")
            }
        }
    }

    public func job(id: UUID) async throws -> Job? {
        try await access {
            try Self.job(
                try await pool.send(RESPCommand(["HMGET", keys.job(id)] + JobRecord.columns)).orThrow())
        }
    }

    public func claim(for workers: [String], lease: Duration, parts: Int) async throws -> [Job] {
        guard !workers.isEmpty else { return [] }
        return try await access {
            let reply = try await evaluate(
                .claim, keys: [keys.queue, keys.leases, keys.partQueue],
                arguments: [
                    keys.prefix + "job:", String(Int64(saturating: lease.timeInterval * 1000)), String(parts),
                ]
                    + workers)
            return try (reply.array ?? []).compactMap(Self.job)
        }
    }

    public func update(_ job: Job) async throws -> Job? {
        try await write(job, if: "v:\(job.version)")
    }

    /// Fenced by each completion's lease, one script each; a part's parent is settled after it.
    public func complete(_ completions: [Completion], ttl: Duration) async throws -> [CompletionResult] {
        var results: [CompletionResult] = []
        for completion in completions {
            guard let lease = completion.claimed.lease else {
                results.append(CompletionResult(job: nil))
                continue
            }
            var job = completion.claimed
            job.complete(completion.outcome, now: clock.now(), ttl: ttl)
            let ended = try await write(job, if: "l:\(lease.attempt):\(lease.owner)")
            results.append(
                CompletionResult(job: ended, settledParent: try await settleParent(of: ended, ttl: ttl)))
        }
        return results
    }

    public func renewLeases(_ renewals: [LeaseRenewal], lease: Duration) async throws -> Set<UUID> {
        guard !renewals.isEmpty else { return [] }
        return try await access {
            var arguments = [keys.prefix + "job:", String(Int64(saturating: lease.timeInterval * 1000))]
            for renewal in renewals {
                arguments += [
                    RedisKeys.member(renewal.lease.id), renewal.lease.owner, String(renewal.lease.attempt),
                    String(renewal.progress),
                ]
            }
            let reply = try await evaluate(.renewLeases, keys: [keys.leases], arguments: arguments)
            return Set((reply.array ?? []).compactMap { $0.string.flatMap(UUID.init(uuidString:)) })
        }
    }

    /// Writes `job` when `condition` holds (see `RedisScript.update`); the job with its new
    /// version, or nil.
    private func write(_ job: Job, if condition: String) async throws -> Job? {
        try await access {
            let record = JobRecord(job)
            var scriptKeys = [
                keys.job(job.id), keys.queue(of: job), keys.leases, keys.expiry,
                keys.result(a: job.a, b: job.b),
            ]
            if let key = job.idempotencyKey {
                scriptKeys.append(keys.idempotency(key: key, owner: job.owner))
            }
            var arguments = [
                condition, RedisKeys.member(job.id), keys.changes, record.status,
                String(record.createdAt),
                record.leaseExpiresAt.map { String($0) } ?? "", String(record.expiresAt), keys.prefix, writer,
            ]
            // The fields a transition can change; the others are written once, at submit.
            for (column, value) in zip(JobRecord.columns, record.values)
            where !Self.fixedColumns.contains(column) {
                arguments += [column, Self.text(value).map { "=" + $0 } ?? ""]
            }
            let reply = try await evaluate(.update, keys: scriptKeys, arguments: arguments)
            guard let version = reply.integer, version > 0 else { return nil }
            var next = job
            next.version = Int(version)
            next = JobRecord.stored(next)
            changes.announce(next)
            return next
        }
    }

    /// Written once, at submit; the version is counted by the script itself.
    private static let fixedColumns: Set = [
        "id", "a", "b", "created_at", "idempotency_key", "owner", "parent_id", "version", "trace_context",
        "piece",
    ]

    public func parts(of parent: UUID) async throws -> [Job] {
        try await parts(of: parent, withPieceResults: true)
    }

    public func partStates(of parent: UUID) async throws -> [JobPartState] {
        try await parts(of: parent, withPieceResults: false).map(JobPartState.init)
    }

    private func parts(of parent: UUID, withPieceResults: Bool) async throws -> [Job] {
        try await access {
            let reply = try await evaluate(
                .parts, keys: [keys.parts(parent)],
                arguments: [keys.prefix + "job:", withPieceResults ? "1" : "0"])
            return try (reply.array ?? []).compactMap(Self.job)
        }
    }

    /// Two round trips whatever the number: one script reads the lapsed jobs (`RedisScript`'s
    /// `lapsed`), then their compare-and-swap writes go out pipelined together.
    public func requeueLapsed(now: Date, maxAttempts: Int) async throws -> [Job] {
        let lapsed = try await access {
            try
                (try await evaluate(
                    .lapsed, keys: [keys.leases],
                    arguments: [keys.prefix + "job:", String(now.epochMilliseconds), "500"]
                ).array ?? []).compactMap(Self.job)
        }
        return try await withThrowingTaskGroup(of: Job?.self) { group in
            for job in lapsed {
                guard job.status == .inProgress, let lease = job.leaseExpiresAt, lease < now else { continue }
                var next = job
                next.requeueAfterLapse(now: now, maxAttempts: maxAttempts)
                group.addTask { try await self.update(next) }
            }
            return try await group.reduce(into: []) { moved, stored in if let stored { moved.append(stored) }
            }
        }
    }

    public func deleteExpired(now: Date) async throws -> Int {
        try await access {
            let batch = 1_000
            var deleted = 0
            while true {
                let reply = try await evaluate(
                    .deleteExpired, keys: [keys.expiry, keys.heartbeats, keys.heartbeatsUntil],
                    arguments: [String(now.epochMilliseconds), keys.prefix, String(batch)])
                guard let counts = reply.array, counts.count == 2, let jobs = counts[0].integer,
                    let swept = counts[1].integer
                else { throw RedisClientError.protocolViolation("the sweep's reply is \(reply)") }
                deleted += Int(jobs)
                if swept < batch { return deleted }
            }
        }
    }

    public func acquireCleanerLease(holder: String, until: Date, now: Date) async throws -> Bool {
        try await access {
            try await evaluate(
                .cleanerLease, keys: [keys.cleaner],
                arguments: [holder, String(until.epochMilliseconds), String(now.epochMilliseconds)]
            ).integer == 1
        }
    }

    public func queuedCount() async throws -> Int {
        try await access {
            let whole = try await pool.run("ZCARD", keys.queue).integer ?? 0
            return Int(whole + (try await pool.run("ZCARD", keys.partQueue).integer ?? 0))
        }
    }

    /// The queues' scores are the jobs' creation instants.
    public func oldestQueuedAt() async throws -> Date? {
        try await access {
            var oldest: Int64?
            for queue in [keys.queue, keys.partQueue] {
                let first = try await pool.run("ZRANGE", queue, "0", "0", "WITHSCORES").array ?? []
                if first.count == 2, let score = first[1].string.flatMap(Double.init) {
                    oldest = min(oldest ?? .max, Int64(score))
                }
            }
            return oldest.map(Date.init(epochMilliseconds:))
        }
    }

    public func recordHeartbeat(replica: String, document: String, until: Date) async throws {
        try await access {
            _ = try await evaluate(
                .recordHeartbeat, keys: [keys.heartbeats, keys.heartbeatsUntil],
                arguments: [replica, document, String(until.epochMilliseconds)])
        }
    }

    public func heartbeats(now: Date) async throws -> [String] {
        try await access {
            try await evaluate(
                .heartbeats, keys: [keys.heartbeats, keys.heartbeatsUntil],
                arguments: [String(now.epochMilliseconds)]
            ).array?.compactMap(\.string) ?? []
        }
    }

    public func ping() async throws {
        try await access {
            guard loaded.withLock({ $0.count }) == RedisScript.allCases.count else {
                throw JobStoreError.starting("the scripts are not loaded yet")
            }
            try await pool.run("PING")
        }
    }

    // MARK: - Scripts and replies

    /// Runs a loaded script; loads it again when Redis no longer knows it (a restart empties
    /// the script cache).
    private func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) async throws
        -> RESPValue
    {
        guard let sha = loaded.withLock({ $0[script] }) else {
            throw JobStoreError.starting("the scripts are not loaded yet")
        }
        let command = { (sha: String) in RESPCommand(["EVALSHA", sha, String(keys.count)] + keys + arguments)
        }
        let reply = try await pool.send(command(sha))
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            return try await pool.send(command(try await load(script))).orThrow()
        }
        return try reply.orThrow()
    }

    /// A field as the job's hash stores it; nil for a field the hash leaves out.
    private static func text(_ value: JobRecord.Value) -> String? {
        switch value {
        case .uuid(let uuid): RedisKeys.member(uuid)
        case .text(let text): text
        case .integer(let integer): integer.map { String($0) }
        case .real(let real): String(real)
        }
    }

    /// The job in an `HMGET` of `JobRecord.columns`; nil for a missing job.
    private static func job(_ reply: RESPValue) throws -> Job? {
        guard let fields = reply.array else { return nil }
        guard fields.count == JobRecord.columns.count else {
            throw JobStoreError.corrupt("a job reply has \(fields.count) fields")
        }
        let text = fields.map(\.string)
        guard let idText = text[0] else { return nil }
        func integer(_ index: Int) throws -> Int64? {
            guard let value = text[index] else { return nil }
            guard let integer = Int64(value) else {
                throw JobStoreError.corrupt(
                    "job \(idText) has \(JobRecord.columns[index]) '\(value.prefix(30))'")
            }
            return integer
        }
        guard let id = UUID(uuidString: idText), let createdAt = try integer(6),
            let expiresAt = try integer(9),
            let attempts = try integer(10), let version = try integer(13)
        else { throw JobStoreError.corrupt("job '\(idText.prefix(40))' lacks a required field") }
        return try JobRecord(
            id: id, status: text[1] ?? "", a: text[2] ?? "", b: text[3] ?? "", sum: text[4],
            progress: text[5].flatMap(Double.init) ?? 0, createdAt: createdAt, startedAt: try integer(7),
            finishedAt: try integer(8), expiresAt: expiresAt, attempts: Int(attempts), errorCode: text[11],
            errorMessage: text[12], version: Int(version), leaseOwner: text[14],
            leaseExpiresAt: try integer(15),
            idempotencyKey: text[16], owner: text[17], parentID: text[18].flatMap(UUID.init(uuidString:)),
            partCount: Int(try integer(19) ?? 0), worker: text[20], traceContext: text[21], piece: text[22],
            pieceResult: text[23]
        ).job()
    }

    /// Runs a store operation; any failure below the protocol becomes
    /// `JobStoreError.unavailable` (the API answers 503), with no credentials in its text,
    /// except a TLS failure (`tlsFailed`) or settings that cannot be used (`invalidConfiguration`).
    @discardableResult
    private func access<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as JobStoreError {
            throw error
        } catch RedisClientError.tlsFailed(let reason) {
            throw JobStoreError.tlsFailed("Redis at \(reason)")
        } catch RedisClientError.invalidURL(let reason) {
            throw JobStoreError.invalidConfiguration(reason)
        } catch {
            throw JobStoreError.unavailable("Redis: \(error)")
        }
    }
}
