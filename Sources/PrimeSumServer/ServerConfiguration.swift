import Configuration
import Foundation
import PrimeSum
import PrimeSumCouchDB
import PrimeSumJobs

/// The settings of `primesum serve` (DESIGN.md "Processes and configuration"), read through
/// swift-configuration: a flag (`--http-port 9000`), then an environment variable
/// (`HTTP_PORT=9000`), then the default. `ServerConfiguration.settings` lists every key.
public struct ServerConfiguration: Sendable {
    /// Which parts of the service this process runs.
    public enum Role: String, Sendable, CaseIterable { case api, worker, all }

    public var host = "127.0.0.1"
    public var port = 8080
    /// Peers whose X-Forwarded-For names the client (load balancers, ingress).
    public var trustedProxies: Set<String> = []
    public var storeURL = "sqlite:./primesum.sqlite"
    public var role = Role.all
    /// Workers in this process (default: the cores).
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// Workers that may compute parts of split jobs at once (default: all but one, at least
    /// one); the others take whole jobs only (`WorkerPool`).
    public var partWorkers: Int?
    /// How long an idle worker waits for a wake-up before it asks the store anyway; wake-ups
    /// are level-triggered, so this is only the last line of defence.
    public var idlePollInterval = Duration.seconds(5)
    /// Threads one computation uses (default: the cores); workers × threads near the core
    /// count keeps the API responsive while every worker computes.
    public var engineThreads: Int?
    /// The nice value of computations' threads: the API's threads run first, so a replica
    /// answers promptly while its workers keep the cores busy (0 = the same priority).
    public var engineNiceness: Int32 = 10
    /// QUEUED jobs beyond which submits answer 503.
    public var queueCapacity = 10_000
    /// How long a finished result stays readable (the seed's 600 s).
    public var resultsTTL = Duration.seconds(600)
    /// A job estimated longer than this is split into parts of about this long (at least), which
    /// workers on every replica compute; 0 keeps every job whole.
    public var splitSeconds = 2.0
    /// The largest share of a sieve part's time its primesieve set-up may take: larger makes
    /// more, smaller parts of a big job (for many replicas) at the cost of more work in all.
    public var partSetUpShare = CostModel.defaultSetUpShare
    /// Submits whose estimate passes these answer 422.
    public var maxJobSeconds = 300.0
    public var maxJobMemoryBytes: UInt64 = 2 << 30
    /// The longest `?wait=` or `Prefer: wait` a request may ask for.
    public var maxWaitSeconds = 60
    public var maxBodyBytes = 4096
    /// How long a client may take to send a request body.
    public var bodyTimeout = Duration.seconds(10)
    /// A connection with no request in progress and nothing read for this long is closed: idle
    /// keep-alive connections, and clients that send their headers too slowly (a request's head
    /// counts only once complete). A long-poll being answered is not idle.
    public var idleTimeout = Duration.seconds(30)
    /// Open connections past this many are answered 503 and closed.
    public var maxConnections = 10_000
    public var leaseDuration = Duration.seconds(15)
    public var maxAttempts = 3
    /// How often the cleaner lease holder requeues lapsed jobs and deletes expired ones.
    public var cleanerInterval = Duration.seconds(1)
    /// How often this replica writes its heartbeat (the console's list of replicas and their
    /// figures); a replica is listed for three heartbeats.
    public var replicaHeartbeatInterval = Duration.seconds(2)
    public var drainTimeout = Duration.seconds(20)
    /// Per-client token buckets; a rate of 0 turns that limit off.
    public var submitLimit = RateLimit(perSecond: 100, burst: 200)
    public var pollLimit = RateLimit(perSecond: 1_000, burst: 2_000)
    /// A file of `name:token` lines; when set, every job route needs `Authorization: Bearer`.
    public var authKeysFile: String?
    public var logLevel = "info"

    public init() {}

    /// A token bucket's refill rate and size.
    public struct RateLimit: Sendable, Equatable {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    /// A setting that cannot be used; the message names its flag and variable.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Every key `serve` reads, with its meaning; the flag is `--` plus the key in dash-case
    /// (`limits.maxJobSeconds` → `--limits-max-job-seconds`), the variable the key in upper
    /// snake case (`LIMITS_MAX_JOB_SECONDS`).
    public static let settings: [(key: String, help: String)] = [
        ("http.host", "address to listen on (127.0.0.1)"),
        ("http.port", "port to listen on (8080)"),
        ("http.trustedProxies", "comma-separated peer addresses whose X-Forwarded-For is believed (none)"),
        (
            "store.url",
            "memory:, sqlite:PATH, postgres://user:pass@host:port/db[?schema=S&pool=N], redis://[user:pass@]host:port[/db][?prefix=P&pool=N] or couchdb://user:pass@host:port/db[?pool=N] (sqlite:./primesum.sqlite)"
        ),
        (
            "couchDb.address",
            "CouchDB host or http(s) URL; with no store.url, the store is this CouchDB (unset)"
        ),
        ("couchDb.port", "CouchDB port (5984)"),
        ("couchDb.username", "CouchDB user (none)"),
        ("couchDb.password", "CouchDB password (none)"),
        ("couchDb.responseDb", "CouchDB database for jobs (responses)"),
        ("role", "api, worker or all (all)"),
        ("workers.count", "workers in this process (the cores)"),
        (
            "workers.forParts",
            "workers that may compute parts of split jobs at once; the others take whole jobs only (workers.count - 1, at least 1)"
        ),
        (
            "workers.idlePollSeconds",
            "seconds an idle worker waits for a wake-up before asking the store anyway (5)"
        ),
        ("engine.threads", "threads one computation uses (the cores)"),
        (
            "engine.nice",
            "nice value (0-19) of computations' threads, so the API answers first while workers compute (10)"
        ),
        ("queue.capacity", "queued jobs before submits get 503 (10000)"),
        ("results.ttl", "seconds a result stays readable (600)"),
        (
            "jobs.splitSeconds",
            "a job estimated longer is split into parts of about this many seconds for any replica's workers; 0 = never (2)"
        ),
        (
            "jobs.partSetUpShare",
            "largest share of a sieve part's time its set-up may take; larger = more, smaller parts (0.1)"
        ),
        ("limits.maxJobSeconds", "largest estimated job in seconds, else 422 (300)"),
        ("limits.maxJobMemory", "largest estimated job memory in bytes, else 422 (2147483648)"),
        ("limits.maxWaitSeconds", "longest ?wait= or Prefer: wait (60)"),
        ("limits.maxBodyBytes", "largest request body, else 413 (4096)"),
        ("limits.bodySeconds", "seconds a client may take to send a body, else 408 (10)"),
        ("http.maxConnections", "open connections; past them a new one is answered 503 and closed (10000)"),
        (
            "http.idleTimeout",
            "seconds before a connection with nothing in progress is closed, headers not yet complete included (30)"
        ),
        ("lease.seconds", "worker lease; a job whose worker is silent this long is requeued (15)"),
        ("lease.maxAttempts", "starts before a job whose workers keep dying is FAILED (3)"),
        ("drain.timeout", "seconds running jobs get on SIGTERM before they are handed back (20)"),
        ("replicas.heartbeatSeconds", "seconds between this replica's heartbeats in the store (2)"),
        ("rateLimit.submitsPerSecond", "per-client submits per second, 0 = unlimited (100)"),
        ("rateLimit.submitBurst", "per-client submit burst (200)"),
        ("rateLimit.pollsPerSecond", "per-client reads per second, 0 = unlimited (1000)"),
        ("rateLimit.pollBurst", "per-client read burst (2000)"),
        ("auth.keysFile", "file of name:token lines; turns on bearer-token auth (off)"),
        ("log.level", "trace, debug, info, notice, warning, error (info)"),
    ]

    /// The flag for a key: `limits.maxJobSeconds` → `--limits-max-job-seconds`.
    public static func flag(for key: String) -> String {
        "--" + words(of: key).joined(separator: "-").lowercased()
    }

    /// The environment variable for a key: `limits.maxJobSeconds` → `LIMITS_MAX_JOB_SECONDS`.
    public static func environmentVariable(for key: String) -> String {
        words(of: key).joined(separator: "_").uppercased()
    }

    private static func words(of key: String) -> [String] {
        key.split(separator: ".").flatMap { component in
            var words: [String] = [""]
            for character in component {
                if character.isUppercase { words.append("") }
                words[words.count - 1].append(character)
            }
            return words
        }
    }

    /// Reads every setting from `reader`, keeping the default where none is given.
    public init(reading reader: ConfigReader) throws {
        let values = SettingValues(reader: reader)
        host = values.string("http.host") ?? host
        port = try values.integer("http.port", in: 0...65_535) ?? port
        if let proxies = values.string("http.trustedProxies") {
            trustedProxies = Set(
                proxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        storeURL = try values.string("store.url", secret: true) ?? Self.couchDBURL(values) ?? storeURL
        if let text = values.string("role") {
            guard let parsed = Role(rawValue: text) else {
                throw values.invalid("role", text, "api, worker or all")
            }
            role = parsed
        }
        workers = try values.integer("workers.count", in: 0...1_024) ?? workers
        partWorkers = try values.integer("workers.forParts", in: 1...1_024) ?? partWorkers
        idlePollInterval =
            try values.integer("workers.idlePollSeconds", in: 1...3_600).map { .seconds($0) }
            ?? idlePollInterval
        engineThreads = try values.integer("engine.threads", in: 1...1_024) ?? engineThreads
        engineNiceness = try values.integer("engine.nice", in: 0...19).map(Int32.init) ?? engineNiceness
        queueCapacity = try values.integer("queue.capacity", in: 0...100_000_000) ?? queueCapacity
        resultsTTL = try values.integer("results.ttl", in: 1...31_536_000).map { .seconds($0) } ?? resultsTTL
        splitSeconds = try values.number("jobs.splitSeconds", atLeast: 0) ?? splitSeconds
        partSetUpShare = try values.number("jobs.partSetUpShare", atLeast: 0.001) ?? partSetUpShare
        maxJobSeconds = try values.number("limits.maxJobSeconds", atLeast: 0) ?? maxJobSeconds
        maxJobMemoryBytes =
            try values.integer("limits.maxJobMemory", in: 0...Int.max).map(UInt64.init) ?? maxJobMemoryBytes
        maxWaitSeconds = try values.integer("limits.maxWaitSeconds", in: 0...3_600) ?? maxWaitSeconds
        maxBodyBytes = try values.integer("limits.maxBodyBytes", in: 64...1_048_576) ?? maxBodyBytes
        bodyTimeout =
            try values.integer("limits.bodySeconds", in: 1...3_600).map { .seconds($0) } ?? bodyTimeout
        idleTimeout =
            try values.integer("http.idleTimeout", in: 1...3_600).map { .seconds($0) } ?? idleTimeout
        maxConnections = try values.integer("http.maxConnections", in: 1...1_000_000) ?? maxConnections
        leaseDuration =
            try values.integer("lease.seconds", in: 1...3_600).map { .seconds($0) } ?? leaseDuration
        maxAttempts = try values.integer("lease.maxAttempts", in: 1...100) ?? maxAttempts
        drainTimeout = try values.integer("drain.timeout", in: 0...3_600).map { .seconds($0) } ?? drainTimeout
        replicaHeartbeatInterval =
            try values.integer("replicas.heartbeatSeconds", in: 1...600).map { .seconds($0) }
            ?? replicaHeartbeatInterval
        submitLimit.perSecond =
            try values.number("rateLimit.submitsPerSecond", atLeast: 0) ?? submitLimit.perSecond
        submitLimit.burst = try values.number("rateLimit.submitBurst", atLeast: 1) ?? submitLimit.burst
        pollLimit.perSecond = try values.number("rateLimit.pollsPerSecond", atLeast: 0) ?? pollLimit.perSecond
        pollLimit.burst = try values.number("rateLimit.pollBurst", atLeast: 1) ?? pollLimit.burst
        authKeysFile = values.string("auth.keysFile") ?? authKeysFile
        if let level = values.string("log.level") {
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(level) else {
                throw values.invalid("log.level", level, levels.joined(separator: ", "))
            }
            logLevel = level
        }
    }
}

extension ServerConfiguration {
    /// The seed deployment's CouchDB settings as a store URL, when `COUCH_DB_ADDRESS` is set.
    fileprivate static func couchDBURL(_ values: SettingValues) throws -> String? {
        guard let address = values.string("couchDb.address") else { return nil }
        do {
            return try CouchDBStoreURL.fromSettings(
                address: address, port: try values.integer("couchDb.port", in: 1...65_535),
                username: values.string("couchDb.username"),
                password: values.string("couchDb.password", secret: true),
                database: values.string("couchDb.responseDb"))
        } catch let error as JobStoreError {
            throw values.invalid("couchDb.address", address, "a CouchDB host or URL (\(error))")
        }
    }
}

/// Looks keys up as text and parses them here, so a malformed value is an error that names
/// its flag and variable rather than a silent fall-back to the default.
private struct SettingValues {
    let reader: ConfigReader

    func string(_ key: String, secret: Bool = false) -> String? {
        reader.string(forKey: ConfigKey(key), isSecret: secret).flatMap { $0.isEmpty ? nil : $0 }
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw invalid(key, text, "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func number(_ key: String, atLeast minimum: Double) throws -> Double? {
        guard let text = string(key) else { return nil }
        guard let value = Double(text), value.isFinite, value >= minimum else {
            throw invalid(key, text, "a number of at least \(minimum)")
        }
        return value
    }

    func invalid(_ key: String, _ text: String, _ expected: String) -> ServerConfiguration.Invalid {
        ServerConfiguration.Invalid(
            description:
                "\(key) (\(ServerConfiguration.flag(for: key)) or \(ServerConfiguration.environmentVariable(for: key))) must be \(expected), got '\(text.prefix(60))'"
        )
    }
}
