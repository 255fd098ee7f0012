import Foundation
import Logging
import NIOHTTP1
import PrimeSumJobs
import ServiceLifecycle
import Synchronization

/// The `couchdb://` store, the seed's response store grown into a queue: one document per job,
/// every transition a PUT with the `_rev` it read, so CouchDB's 409 conflict is the
/// compare-and-swap and the claim. Mango partial indexes find queued, lapsed, finished and
/// expired jobs; a `_count` view counts the queue; each replica follows the `_changes` feed and
/// turns it into local wake-ups for idle workers and `?wait=` long-polls.
///
/// An idempotency key is reserved by a guard document whose `_id` is the key, which CouchDB
/// keeps unique; the job document follows it. The cleaner lease is one more document.
///
/// A write counts as done only on 201 Created: the document is on disk on the write quorum of
/// nodes. A 202 Accepted (fewer nodes than the quorum, in a degraded cluster) is reported as
/// unavailable, so the API never answers 202 for a job CouchDB may still lose.
///
/// It is also a `Service`: it creates the database and its indexes at start and follows the
/// feed for the application's life.
public final class CouchDBJobStore: CompareAndSwapJobStore, CleanerLeaseStore, HeartbeatStore, Service {
    public let changes = JobChangeFeed()
    /// CouchDB's clock, read from the `Date` header of every answer (`CouchDBHTTP`).
    public let clock: StoreClock
    private let url: CouchDBStoreURL
    private let logger: Logger
    private let revisions = RevisionCache()
    /// The connection pool, there from set-up until shutdown; requests outside that time are
    /// unavailable.
    private let connection = Mutex<CouchDBHTTP?>(nil)
    /// Revisions of queued jobs this replica is claiming or has just claimed: its other workers
    /// pass them by (a `_find` that started before a claim landed still lists the job as
    /// queued), so they race only with other replicas, never with each other.
    private let claimed = Mutex(RecentMap<String, Void>(capacity: 4_096))

    private static let terminal: JSONValue = [
        .string(JobStatus.finished.rawValue), .string(JobStatus.failed.rawValue),
        .string(JobStatus.cancelled.rawValue),
    ]
    private static let designDocument = "primesum-v1"
    private static let batchSize = 500

    /// `clock` reads this replica's clock (a test gives a skewed one); the store sets it to
    /// the server's.
    public init(url: CouchDBStoreURL, logger: Logger, clock: StoreClock = StoreClock()) {
        self.clock = clock
        self.url = url
        self.logger = logger
    }

    /// Sets the database up, then follows its changes until graceful shutdown; listed first
    /// among the services, it is the last to stop.
    public func run() async throws {
        let http = try CouchDBHTTP(url: url, clock: clock)
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await setUp(http)
                connection.withLock { $0 = http }
                group.addTask { await self.followChanges(http) }
                try? await gracefulShutdown()
                group.cancelAll()
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        connection.withLock { $0 = nil }
        try await http.shutdown()
    }

    // MARK: - Set-up

    /// Creates the database, the Mango indexes and the counting view when missing. Several
    /// replicas may do so at once: "exists" and conflicts are success. Retries, backing off,
    /// while CouchDB is unreachable.
    private func setUp(_ http: CouchDBHTTP) async throws {
        try await retryWhileStarting("CouchDB", logger: logger) {
            let database = try await http.send(.GET, http.databasePath(), accepting: [200, 404])
            if database.status == .notFound {
                try await http.send(.PUT, http.databasePath(), accepting: [201, 202, 412])
            }
            for index in Self.indexes {
                try await http.send(.POST, http.databasePath("_index"), json: index, accepting: [200])
            }
            try await http.send(
                .PUT, http.databasePath("_design", Self.designDocument), json: Self.countView,
                accepting: [201, 202, 409])
        }
    }

    /// Partial indexes: each holds only the jobs in the statuses its query asks for, so the
    /// queue index stays as small as the queue.
    private static let indexes: [JSONValue] = [
        index("queue", fields: ["createdAt"], status: .string(JobStatus.queued.rawValue)),
        index(
            "whole-queue", fields: ["createdAt"], status: .string(JobStatus.queued.rawValue),
            also: ["parentId": ["$exists": false]]),
        index("leases", fields: ["leaseExpiresAt"], status: .string(JobStatus.inProgress.rawValue)),
        index("results", fields: ["a", "b"], status: .string(JobStatus.finished.rawValue)),
        index("expiry", fields: ["expiresAt"], status: ["$in": terminal]),
        index("parts", fields: ["parentId"], status: ["$exists": true]),
    ]

    /// An index of the jobs in `status` that also match `also`.
    private static func index(
        _ name: String, fields: [JSONValue], status: JSONValue, also: [String: JSONValue] = [:]
    ) -> JSONValue {
        let filter: [String: JSONValue] = ["type": "job", "status": status].merging(also) { first, _ in first
        }
        return [
            "ddoc": "primesum-mango", "name": .string(name), "type": "json",
            "index": ["fields": .array(fields), "partial_filter_selector": .object(filter)],
        ]
    }

    private static let countView: JSONValue = [
        "language": "javascript",
        "views": [
            "status": [
                "map": "function (doc) { if (doc.type === 'job') { emit(doc.status, null); } }",
                "reduce": "_count",
            ]
        ],
    ]

    // MARK: - Changes

    /// Follows the continuous `_changes` feed of job documents and publishes each change
    /// locally; reconnects (as `JobChangeFeed.follow` does) from the last sequence it saw.
    private func followChanges(_ http: CouchDBHTTP) async {
        var since = "now"
        await changes.follow("the CouchDB _changes feed", logger: logger) { opened in
            let response = try await http.stream(
                .POST, http.databasePath("_changes"),
                query: [
                    ("feed", "continuous"), ("since", since), ("filter", "_selector"),
                    ("include_docs", "true"), ("heartbeat", "5000"),
                ],
                json: ["selector": ["type": "job"]] as JSONValue, timeout: .seconds(3_600))
            guard response.status == .ok else {
                throw JobStoreError.unavailable("CouchDB answered \(response.status.code) to _changes")
            }
            opened()
            var lines = LineBuffer()
            for try await chunk in response.body {
                lines.append(chunk)
                while let line = lines.next() {
                    guard let change = try? JSONDecoder().decode(Change.self, from: Data(line)) else {
                        continue
                    }
                    if let seq = change.seq ?? change.last_seq { since = seq.text }
                    publish(change)
                }
            }
        }
    }

    /// An end carries the job (the feed includes the document), so a long-poll here answers
    /// without reading it.
    private func publish(_ change: Change) {
        guard let id = change.id.flatMap(UUID.init(uuidString:)), let job = try? change.doc?.job(),
            job.id == id
        else { return }
        if job.status.isTerminal { changes.publish(.job(id), job: job) }
        if job.status == .queued { changes.signal(.queue) }
    }

    /// One line of the feed (`last_seq` ends it); a document that is not a job reads as none.
    private struct Change: Decodable {
        var seq: Sequence?
        var last_seq: Sequence?
        var id: String?
        var doc: CouchDBJobDocument?

        private enum CodingKeys: String, CodingKey { case seq, last_seq, id, doc }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            seq = try container.decodeIfPresent(Sequence.self, forKey: .seq)
            last_seq = try container.decodeIfPresent(Sequence.self, forKey: .last_seq)
            id = try container.decodeIfPresent(String.self, forKey: .id)
            doc = try? container.decodeIfPresent(CouchDBJobDocument.self, forKey: .doc)
        }

        /// A string in CouchDB 2+, a number in 1.x.
        struct Sequence: Decodable {
            var text: String
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) {
                    self.text = text
                } else {
                    text = String(try container.decode(Int.self))
                }
            }
        }
    }

    // MARK: - JobStore

    /// Three steps, as documents have no multi-document write: the key's guard, the result
    /// (a query), the insert (taking the key's guard first).
    public func submit(_ job: Job, queueing: Bool) async throws -> Submission? {
        if let key = job.idempotencyKey,
            let holder = try await self.job(idempotencyKey: key, owner: job.owner)
        {
            return .duplicate(holder)
        }
        let known =
            job.parent == nil ? try await finishedJob(a: job.a, b: job.b, now: job.createdAt) : nil
        let (insert, submission) = Submission.of(job, answeredBy: known, queueing: queueing)
        guard let insert else { return submission }
        let (stored, created) = try await create(insert)
        guard created else { return .duplicate(stored) }
        changes.announce(stored, wakeWorker: false)
        return submission
    }

    /// Inserts `job` unless its idempotency key is held: the holder, with false.
    private func create(_ job: Job) async throws -> (job: Job, created: Bool) {
        let http = try ready()
        guard let key = job.idempotencyKey else { return (try await insert(job), true) }
        let guardPath = http.databasePath(Self.guardID(key: key, owner: job.owner))
        for _ in 0..<200 {
            let reserved = try await http.send(
                .PUT, guardPath, json: IdempotencyGuard(job: job, revision: nil), accepting: [201, 409])
            if reserved.status != .conflict { return (try await insert(job), true) }
            let found = try await http.send(.GET, guardPath, accepting: [200, 404])
            guard found.status == .ok else { continue }  // deleted by the cleaner meanwhile
            let holder = try found.decode(IdempotencyGuard.self)
            if let existing = try await self.job(id: holder.jobID) { return (existing, false) }
            // The guard's job is not written yet (its creator is between the two PUTs) or
            // never will be (the creator died there, or the job expired): wait for the first,
            // take the guard over in the second.
            guard clock.now().epochMilliseconds - holder.createdAt > 5_000 else {
                try await Task.sleep(for: .milliseconds(25))
                continue
            }
            let takeover = try await http.send(
                .PUT, guardPath, json: IdempotencyGuard(job: job, revision: holder._rev),
                accepting: [201, 409])
            if takeover.status != .conflict { return (try await insert(job), true) }
        }
        throw JobStoreError.unavailable("the idempotency key is held by a job that never appeared")
    }

    private func insert(_ job: Job) async throws -> Job {
        let http = try ready()
        let response = try await http.send(
            .PUT, http.databasePath(job.id.uuidString), json: CouchDBJobDocument(job, revision: nil),
            accepting: [201])
        revisions.remember(job.id, version: job.version, revision: try response.decode(Written.self).rev)
        return job
    }

    public func job(id: UUID) async throws -> Job? {
        return try await document(id: id)?.job()
    }

    private func job(idempotencyKey: String, owner: String?) async throws -> Job? {
        let http = try ready()
        let found = try await http.send(
            .GET, http.databasePath(Self.guardID(key: idempotencyKey, owner: owner)), accepting: [200, 404])
        guard found.status == .ok,
            let job = try await self.job(id: try found.decode(IdempotencyGuard.self).jobID),
            job.idempotencyKey == idempotencyKey, job.owner == owner
        else { return nil }
        return job
    }

    private func finishedJob(a: UInt64, b: UInt64, now: Date) async throws -> Job? {
        let selector: JSONValue = [
            "type": "job", "status": .string(JobStatus.finished.rawValue), "a": .string(String(a)),
            "b": .string(String(b)), "expiresAt": ["$gt": .integer(now.epochMilliseconds)],
            "parentId": ["$exists": false],
        ]
        return try await find(selector, index: "results", limit: 1).first?.job()
    }

    /// One request writes the claims, each over the revision it was read at: a job another
    /// replica claimed first is refused alone (409), and its worker is left without one.
    public func claim(for workers: [String], lease: Duration, parts: Int) async throws -> [Job] {
        guard !workers.isEmpty else { return [] }
        let http = try ready()
        var selector: [String: JSONValue] = [
            "type": "job", "status": .string(JobStatus.queued.rawValue), "createdAt": ["$gte": 0],
        ]
        if parts == 0 { selector["parentId"] = ["$exists": false] }
        while true {
            try Task.checkCancellation()
            let candidates = try await find(
                .object(selector), index: parts > 0 ? "queue" : "whole-queue", sort: "createdAt",
                limit: workers.count + 16)
            if candidates.isEmpty { return [] }
            var chosen: [(document: CouchDBJobDocument, revision: String)] = []
            var partsLeft = parts
            for document in candidates where chosen.count < workers.count {
                let isPart = document.parentId != nil
                if isPart && partsLeft == 0 { continue }
                // A revision, not a job: a job requeued later is a new revision, claimable again.
                let revision = "\(document._id) \(document._rev ?? "")"
                guard claimed.withLock({ $0.set((), for: revision) }) else { continue }
                if isPart { partsLeft -= 1 }
                chosen.append((document, revision))
            }
            // Every candidate is being claimed by this replica's other workers: look again.
            if chosen.isEmpty {
                try await Task.sleep(for: .milliseconds(2))
                continue
            }
            let now = clock.now()
            let jobs = try chosen.enumerated().map { index, candidate in
                var job = try candidate.document.job()
                job.claim(by: workers[index], lease: lease, now: now)
                job.version += 1
                return job
            }
            let results: [BulkResult]
            do {
                results = try await http.send(
                    .POST, http.databasePath("_bulk_docs"),
                    json: BulkWrite(
                        docs: zip(jobs, chosen).map { CouchDBJobDocument($0, revision: $1.document._rev) })
                ).decode([BulkResult].self)
            } catch {
                // Still queued as far as we know: leave them to the next claim.
                claimed.withLock { cache in for candidate in chosen { cache.remove(candidate.revision) } }
                throw error
            }
            var written: [Job] = []
            for (job, result) in zip(jobs, results) {
                if result.ok == true, let revision = result.rev {
                    revisions.remember(job.id, version: job.version, revision: revision)
                    written.append(JobRecord.stored(job))
                } else {
                    revisions.forget(job.id)
                }
            }
            // Every one went to another replica: look again.
            if !written.isEmpty { return written }
        }
    }

    public func update(_ job: Job) async throws -> Job? {
        let revision: String?
        if let cached = revisions.revision(of: job.id, atVersion: job.version) {
            revision = cached
        } else {
            guard let stored = try await document(id: job.id), stored.version == job.version else {
                return nil
            }
            revision = stored._rev
        }
        let written = try await write(job, over: revision)
        if let written { changes.announce(written, wakeWorker: false) }
        return written
    }

    /// Each job read and written over its revision, its version kept: a writer whose revision
    /// this renewal made stale is refused (409) and reads the job again, as after any write.
    public func renewLeases(_ renewals: [LeaseRenewal], lease: Duration) async throws -> Set<UUID> {
        let http = try ready()
        var lost = Set<UUID>()
        for renewal in renewals {
            let id = renewal.lease.id
            guard let document = try await document(id: id) else {
                lost.insert(id)
                continue
            }
            var job = try document.job()
            guard job.lease == renewal.lease else {
                lost.insert(id)
                continue
            }
            job.progress = renewal.progress
            job.leaseExpiresAt = clock.now().addingTimeInterval(lease.timeInterval)
            let response = try await http.send(
                .PUT, http.databasePath(id.uuidString),
                json: CouchDBJobDocument(job, revision: document._rev),
                accepting: [201, 404, 409])
            switch response.status {
            case .created:
                revisions.remember(id, version: job.version, revision: try response.decode(Written.self).rev)
            // Another write came between: whether it ended the job shows at the next renewal.
            case .conflict: revisions.forget(id)
            default: lost.insert(id)
            }
        }
        return lost
    }

    public func parts(of parent: UUID) async throws -> [Job] {
        try await partDocuments(of: parent.uuidString, withPieceResults: true).map { try $0.job() }
    }

    public func partStates(of parent: UUID) async throws -> [JobPartState] {
        try await partDocuments(of: parent.uuidString, withPieceResults: false).map {
            JobPartState(try $0.job())
        }
    }

    /// The parts' documents; without the pieces' results (megabytes near 2^64) unless asked.
    private func partDocuments(of parent: String, withPieceResults: Bool) async throws -> [CouchDBJobDocument]
    {
        try await find(
            ["type": "job", "parentId": .string(parent)], index: "parts",
            fields: withPieceResults ? nil : CouchDBJobDocument.fieldsWithoutPieceResult,
            limit: Self.maximumParts)
    }

    /// More than any split makes (a Mango query returns 25 documents unless told).
    private static let maximumParts = 100_000

    public func requeueLapsed(now: Date, maxAttempts: Int) async throws -> [Job] {
        let selector: JSONValue = [
            "type": "job", "status": .string(JobStatus.inProgress.rawValue),
            "leaseExpiresAt": ["$lt": .integer(now.epochMilliseconds)],
        ]
        var moved: [Job] = []
        while true {
            let lapsed = try await find(selector, index: "leases", limit: Self.batchSize)
            var movedNow = 0
            for document in lapsed {
                var job = try document.job()
                job.requeueAfterLapse(now: now, maxAttempts: maxAttempts)
                if let stored = try await write(job, over: document._rev) {
                    moved.append(stored)
                    movedNow += 1
                }
            }
            // A full batch may hide more; a batch lost entirely to other writers ends the sweep.
            if lapsed.count < Self.batchSize || movedNow == 0 { return moved }
        }
    }

    public func deleteExpired(now: Date) async throws -> Int {
        let http = try ready()
        let lapsed = try await heartbeatDocuments().filter { $0.until <= now.epochMilliseconds }
        if !lapsed.isEmpty {
            try await http.send(
                .POST, http.databasePath("_bulk_docs"),
                json: BulkDelete(
                    docs: lapsed.compactMap { heartbeat in
                        heartbeat._id.map { Tombstone(_id: $0, _rev: heartbeat._rev) }
                    }))
        }
        let selector: JSONValue = [
            "type": "job", "status": ["$in": Self.terminal],
            "expiresAt": ["$lt": .integer(now.epochMilliseconds)], "parentId": ["$exists": false],
        ]
        var deleted = 0
        while true {
            let parents = try await find(selector, index: "expiry", limit: Self.batchSize)
            guard !parents.isEmpty else { return deleted }
            let parentIDs = Set(parents.map(\._id))
            // Parts go with their parent, whatever their own expiry.
            var expired = parents
            for parent in parents where (parent.partCount ?? 0) > 0 {
                expired += try await partDocuments(of: parent._id, withPieceResults: false)
            }
            var tombstones = expired.map { Tombstone(_id: $0._id, _rev: $0._rev) }
            let expiredIDs = Set(expired.map(\._id))
            let guardIDs = expired.compactMap { document in
                document.idempotencyKey.map { Self.guardID(key: $0, owner: document.owner) }
            }
            if !guardIDs.isEmpty {
                let guards = try await http.send(
                    .POST, http.databasePath("_all_docs"), query: [("include_docs", "true")],
                    json: ["keys": .array(guardIDs.map(JSONValue.string))] as JSONValue
                ).decode(AllDocuments.self)
                for row in guards.rows {
                    // A guard already handed to a newer job stays.
                    if let holder = row.doc, expiredIDs.contains(holder.jobID.uuidString) {
                        tombstones.append(Tombstone(_id: holder._id, _rev: holder._rev))
                    }
                }
            }
            let results = try await http.send(
                .POST, http.databasePath("_bulk_docs"), json: BulkDelete(docs: tombstones)
            ).decode([BulkResult].self)
            let gone = results.filter { $0.ok == true && parentIDs.contains($0.id) }.count
            for document in expired { UUID(uuidString: document._id).map(revisions.forget) }
            deleted += gone
            if parents.count < Self.batchSize || gone == 0 { return deleted }
        }
    }

    public func acquireCleanerLease(holder: String, until: Date, now: Date) async throws -> Bool {
        let http = try ready()
        let path = http.databasePath("primesum-lease:cleaner")
        let found = try await http.send(.GET, path, accepting: [200, 404])
        var revision: String?
        if found.status == .ok {
            let lease = try found.decode(Lease.self)
            guard lease.holder == holder || lease.until <= now.epochMilliseconds else { return false }
            revision = lease._rev
        }
        let written = try await http.send(
            .PUT, path, json: Lease(_rev: revision, holder: holder, until: until.epochMilliseconds),
            accepting: [201, 409])
        return written.status != .conflict
    }

    public func queuedCount() async throws -> Int {
        let http = try ready()
        let counts = try await http.send(
            .GET, http.databasePath("_design", Self.designDocument, "_view", "status"),
            query: [("key", "\"\(JobStatus.queued.rawValue)\""), ("reduce", "true")]
        ).decode(ViewCount.self)
        return counts.rows.first?.value ?? 0
    }

    public func oldestQueuedAt() async throws -> Date? {
        let selector: JSONValue = [
            "type": "job", "status": .string(JobStatus.queued.rawValue), "createdAt": ["$gte": 0],
        ]
        return try await find(selector, index: "queue", sort: "createdAt", limit: 1).first.map {
            Date(epochMilliseconds: $0.createdAt)
        }
    }

    public func ping() async throws {
        let http = try ready()
        try await http.send(.GET, http.databasePath())
    }

    public func recordHeartbeat(replica: String, document: String, until: Date) async throws {
        let http = try ready()
        let path = http.databasePath(Self.heartbeatPrefix + replica)
        // Only this replica writes its heartbeat: a conflict means its last write's answer was
        // lost, and the revision read again is its own.
        for _ in 0..<3 {
            let found = try await http.send(.GET, path, accepting: [200, 404])
            let revision = found.status == .ok ? try found.decode(Heartbeat.self)._rev : nil
            let written = try await http.send(
                .PUT, path,
                json: Heartbeat(_rev: revision, document: document, until: until.epochMilliseconds),
                accepting: [201, 409])
            if written.status != .conflict { return }
        }
        throw JobStoreError.unavailable("the heartbeat of \(replica) kept conflicting")
    }

    public func heartbeats(now: Date) async throws -> [String] {
        try await heartbeatDocuments().filter { $0.until > now.epochMilliseconds }.map(\.document)
    }

    /// Heartbeats are documents `primesum-replica:NAME`, listed by their id's prefix.
    private static let heartbeatPrefix = "primesum-replica:"

    private func heartbeatDocuments() async throws -> [Heartbeat] {
        let http = try ready()
        return try await http.send(
            .GET, http.databasePath("_all_docs"),
            query: [
                ("include_docs", "true"), ("startkey", "\"\(Self.heartbeatPrefix)\""),
                ("endkey", "\"\(Self.heartbeatPrefix)\u{FFF0}\""),
            ]
        ).decode(HeartbeatRows.self).rows.compactMap(\.doc)
    }

    // MARK: - Documents

    /// The connection pool once the database is set up.
    private func ready() throws -> CouchDBHTTP {
        guard let http = connection.withLock({ $0 }) else {
            throw JobStoreError.starting("CouchDB is not set up yet")
        }
        return http
    }

    private func document(id: UUID) async throws -> CouchDBJobDocument? {
        let http = try ready()
        let response = try await http.send(.GET, http.databasePath(id.uuidString), accepting: [200, 404])
        guard response.status == .ok else { return nil }
        let document = try response.decode(CouchDBJobDocument.self)
        if let revision = document._rev {
            revisions.remember(id, version: document.version, revision: revision)
        }
        return document
    }

    /// Writes `job`, version + 1, over the revision it was read at: the stored job, or nil when
    /// another writer came first (409) or the job is gone (404).
    private func write(_ job: Job, over revision: String?) async throws -> Job? {
        let http = try ready()
        var next = job
        next.version += 1
        let response = try await http.send(
            .PUT, http.databasePath(job.id.uuidString), json: CouchDBJobDocument(next, revision: revision),
            accepting: [201, 404, 409])
        guard response.status == .created else {
            revisions.forget(job.id)
            return nil
        }
        revisions.remember(job.id, version: next.version, revision: try response.decode(Written.self).rev)
        return JobRecord.stored(next)
    }

    private func find(
        _ selector: JSONValue, index: String, sort: String? = nil, fields: [String]? = nil, limit: Int
    ) async throws -> [CouchDBJobDocument] {
        let http = try ready()
        var query: [String: JSONValue] = [
            "selector": selector, "limit": .integer(Int64(limit)),
            "use_index": ["primesum-mango", .string(index)],
        ]
        if let sort { query["sort"] = [[sort: "asc"]] }
        if let fields { query["fields"] = .array(fields.map(JSONValue.string)) }
        return try await http.send(.POST, http.databasePath("_find"), json: JSONValue.object(query))
            .decode(Found.self).docs
    }

    /// `primesum-idempotency:OWNER:KEY`, the owner escaped so that no two (owner, key) pairs
    /// share an id.
    static func guardID(key: String, owner: String?) -> String {
        "primesum-idempotency:\(CouchDBHTTP.escape(owner ?? "")):\(key)"
    }

    private struct IdempotencyGuard: Codable {
        var _id: String?
        var _rev: String?
        var type = "idempotency"
        var jobID: UUID
        var createdAt: Int64

        init(job: Job, revision: String?) {
            _rev = revision
            jobID = job.id
            createdAt = job.createdAt.epochMilliseconds
        }
    }

    private struct Lease: Codable {
        var _rev: String?
        var type = "lease"
        var holder: String
        var until: Int64
    }

    private struct Heartbeat: Codable {
        var _id: String?
        var _rev: String?
        var type = "replica"
        var document: String
        var until: Int64

        init(_rev: String?, document: String, until: Int64) {
            self._rev = _rev
            self.document = document
            self.until = until
        }
    }
    private struct HeartbeatRows: Decodable {
        struct Row: Decodable { var doc: Heartbeat? }
        var rows: [Row]
    }

    private struct Written: Decodable { var rev: String }
    private struct Found: Decodable { var docs: [CouchDBJobDocument] }
    private struct Tombstone: Encodable {
        var _id: String
        var _rev: String?
        var _deleted = true
    }
    private struct BulkDelete: Encodable { var docs: [Tombstone] }
    private struct BulkWrite: Encodable { var docs: [CouchDBJobDocument] }
    private struct BulkResult: Decodable {
        var id: String
        var ok: Bool?
        var rev: String?
    }
    private struct AllDocuments: Decodable {
        struct Row: Decodable { var doc: Holder? }
        struct Holder: Decodable {
            var _id: String
            var _rev: String
            var jobID: UUID
        }
        var rows: [Row]
    }
    private struct ViewCount: Decodable {
        struct Row: Decodable { var value: Int }
        var rows: [Row]
    }
}
