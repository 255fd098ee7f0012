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
    /// A prefix sum estimated longer than twice this is computed in pieces of about this long
    /// (`CostModel.sumParts`), which workers on every replica compute; 0 keeps it whole.
    public var pieceSeconds = 30.0
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
    /// PEM files of the API's certificate (chain) and key: HTTPS instead of HTTP when both are set.
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    public var logLevel = "info"
    /// `text` (swift-log's lines) or `json` (one object a line, for log pipelines).
    public var logFormat = "text"
    /// Whether submits, and requests that carry a `traceparent`, open a span
    /// (`RequestTracingMiddleware`) that the worker of the job continues: `serve` sets it when it
    /// bootstraps OpenTelemetry (`OTEL_*` variables), not a setting of its own.
    public var tracing = false
    /// A trace's page in the tracing UI, `{traceId}` standing for its id: the console links
    /// each job's trace there.
    public var traceLink: String?

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

    /// Every key `serve` reads, section by section, with its meaning; the flag is `--` plus
    /// the key in dash-case (`limits.maxJobSeconds` → `--limits-max-job-seconds`), the variable
    /// the key in upper snake case (`LIMITS_MAX_JOB_SECONDS`). Each default is the property's
    /// own, above.
    public static let settings: [ServerSetting] = [
        .text("http", "host", \.host, "address to listen on"),
        .integer("http", "port", \.port, in: 0...65_535, "port to listen on"),
        .custom(
            "http", "trustedProxies", "comma-separated peer addresses whose X-Forwarded-For is believed",
            defaultText: "none"
        ) { configuration, reader in
            guard let proxies = reader.string("trustedProxies") else { return }
            configuration.trustedProxies = Set(
                proxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        },
        .integer(
            "http", "maxConnections", \.maxConnections, in: 1...1_000_000,
            "open connections; past them a new one is answered 503 and closed"),
        .seconds(
            "http", "idleTimeout", \.idleTimeout, in: 1...3_600,
            "seconds before a connection with nothing in progress is closed, headers not yet complete included"
        ),
        .custom(
            "store", "url",
            "memory:, sqlite:PATH, postgres://user:pass@host:port/db[?schema=S&pool=N], redis://[user:pass@]host:port[/db][?prefix=P&pool=N] or couchdb://user:pass@host:port/db[?pool=N]",
            defaultText: ServerConfiguration().storeURL
        ) { configuration, reader in
            if let url = try reader.string("url", secret: true) ?? couchDBURL(reader.reading("couchDb")) {
                configuration.storeURL = url
            }
        },
        .readWith(
            "store.url", "couchDb", "address",
            "CouchDB host or http(s) URL; with no store.url, the store is this CouchDB", defaultText: "unset"),
        .readWith("store.url", "couchDb", "port", "CouchDB port", defaultText: "5984"),
        .readWith("store.url", "couchDb", "username", "CouchDB user", defaultText: "none"),
        .readWith("store.url", "couchDb", "password", "CouchDB password", defaultText: "none"),
        .readWith(
            "store.url", "couchDb", "responseDb", "CouchDB database for jobs", defaultText: "responses"),
        .custom(nil, "role", "api, worker or all", defaultText: ServerConfiguration().role.rawValue) {
            configuration, reader in
            guard let text = reader.string("role") else { return }
            guard let role = Role(rawValue: text) else {
                throw reader.invalid("role", text, "api, worker or all")
            }
            configuration.role = role
        },
        .integer(
            "workers", "count", \.workers, in: 0...1_024, "workers in this process", defaultText: "the cores"),
        .integer(
            "workers", "forParts", \.partWorkers, in: 1...1_024,
            "workers that may compute parts of split jobs at once; the others take whole jobs only",
            defaultText: "workers.count - 1, at least 1"),
        .seconds(
            "workers", "idlePollSeconds", \.idlePollInterval, in: 1...3_600,
            "seconds an idle worker waits for a wake-up before asking the store anyway"),
        .integer(
            "engine", "threads", \.engineThreads, in: 1...1_024, "threads one computation uses",
            defaultText: "the cores"),
        .integer(
            "engine", "nice", \.engineNiceness, in: 0...19,
            "nice value of computations' threads, so the API answers first while workers compute"),
        .integer(
            "queue", "capacity", \.queueCapacity, in: 0...100_000_000, "queued jobs before submits get 503"),
        .seconds("results", "ttl", \.resultsTTL, in: 1...31_536_000, "seconds a result stays readable"),
        .number(
            "jobs", "splitSeconds", \.splitSeconds, atLeast: 0,
            "a job estimated longer is split into parts of about this many seconds for any replica's workers; 0 = never"
        ),
        .number(
            "jobs", "pieceSeconds", \.pieceSeconds, atLeast: 0,
            "a prefix sum estimated longer than twice this is computed in pieces of about this many seconds (at most 12) for any replica's workers; 0 = whole"
        ),
        .number(
            "jobs", "partSetUpShare", \.partSetUpShare, atLeast: 0.001,
            "largest share of a sieve part's time its set-up may take; larger = more, smaller parts"),
        .number(
            "limits", "maxJobSeconds", \.maxJobSeconds, atLeast: 0,
            "largest estimated job in seconds, else 422"),
        .integer(
            "limits", "maxJobMemory", \.maxJobMemoryBytes, in: 0...Int.max,
            "largest estimated job memory in bytes, else 422"),
        .integer(
            "limits", "maxWaitSeconds", \.maxWaitSeconds, in: 0...3_600, "longest ?wait= or Prefer: wait"),
        .integer(
            "limits", "maxBodyBytes", \.maxBodyBytes, in: 64...1_048_576, "largest request body, else 413"),
        .seconds(
            "limits", "bodySeconds", \.bodyTimeout, in: 1...3_600,
            "seconds a client may take to send a body, else 408"),
        .seconds(
            "lease", "seconds", \.leaseDuration, in: 1...3_600,
            "worker lease; a job whose worker is silent this long is requeued"),
        .integer(
            "lease", "maxAttempts", \.maxAttempts, in: 1...100,
            "starts before a job whose workers keep dying is FAILED"),
        .seconds(
            "drain", "timeout", \.drainTimeout, in: 0...3_600,
            "seconds running jobs get on SIGTERM before they are handed back"),
        .seconds(
            "replicas", "heartbeatSeconds", \.replicaHeartbeatInterval, in: 1...600,
            "seconds between this replica's heartbeats in the store"),
        .number(
            "rateLimit", "submitsPerSecond", \.submitLimit.perSecond, atLeast: 0,
            "per-client submits per second, 0 = unlimited"),
        .number("rateLimit", "submitBurst", \.submitLimit.burst, atLeast: 1, "per-client submit burst"),
        .number(
            "rateLimit", "pollsPerSecond", \.pollLimit.perSecond, atLeast: 0,
            "per-client reads per second, 0 = unlimited"),
        .number("rateLimit", "pollBurst", \.pollLimit.burst, atLeast: 1, "per-client read burst"),
        .custom(
            "http.tls", "certificate",
            "PEM certificate (chain) file: the API speaks HTTPS, with http.tls.key; both are read again on SIGHUP and when they change",
            defaultText: "off: plain HTTP"
        ) { configuration, reader in
            let certificate = reader.string("certificate")
            let key = reader.string("key")
            if let certificate, key == nil {
                throw reader.invalid("key", "", "set with http.tls.certificate")
            }
            if let key, certificate == nil {
                throw reader.invalid("certificate", "", "set with http.tls.key (\(key))")
            }
            configuration.tlsCertificateFile = certificate
            configuration.tlsKeyFile = key
        },
        .readWith(
            "http.tls.certificate", "http.tls", "key", "PEM private key file of the API's certificate",
            defaultText: "off"),
        .custom(
            "auth", "keysFile", "file of name:token lines; turns on bearer-token auth", defaultText: "off"
        ) {
            configuration, reader in
            if let path = reader.string("keysFile") { configuration.authKeysFile = path }
        },
        .custom(
            "log", "level", logLevels.joined(separator: ", "), defaultText: ServerConfiguration().logLevel
        ) {
            configuration, reader in
            guard let level = reader.string("level") else { return }
            guard logLevels.contains(level) else {
                throw reader.invalid("level", level, logLevels.joined(separator: ", "))
            }
            configuration.logLevel = level
        },
        .custom(
            "tracing", "link",
            "a trace's page in your tracing UI, {traceId} standing for its id (for example http://jaeger:16686/trace/{traceId}): the console links each job's trace there",
            defaultText: "none: the console shows the trace id"
        ) { configuration, reader in
            guard let link = reader.string("link") else { return }
            guard let url = URL(string: link.replacingOccurrences(of: "{traceId}", with: "0")),
                ["http", "https"].contains(url.scheme?.lowercased()), url.host?.isEmpty == false,
                link.contains("{traceId}")
            else {
                throw reader.invalid("link", link, "an http(s) URL with {traceId} in it")
            }
            configuration.traceLink = link
        },
        .custom(
            "log", "format", "text, or json: one object a line with the job id, replica and level as fields",
            defaultText: ServerConfiguration().logFormat
        ) { configuration, reader in
            guard let format = reader.string("format") else { return }
            guard ["text", "json"].contains(format) else {
                throw reader.invalid("format", format, "text or json")
            }
            configuration.logFormat = format
        },
    ]

    private static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

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

    /// Reads every setting from `reader` (each section through a reader scoped to it), keeping
    /// the default where none is given.
    public init(reading reader: ConfigReader) throws {
        for setting in Self.settings {
            try setting.read(into: &self, from: ServerSettingReader(root: reader, section: setting.section))
        }
    }
}

extension ServerConfiguration {
    /// The seed deployment's CouchDB settings as a store URL, when `COUCH_DB_ADDRESS` is set.
    fileprivate static func couchDBURL(_ reader: ServerSettingReader) throws -> String? {
        guard let address = reader.string("address") else { return nil }
        do {
            return try CouchDBStoreURL.fromSettings(
                address: address, port: try reader.integer("port", in: 1...65_535),
                username: reader.string("username"), password: reader.string("password", secret: true),
                database: reader.string("responseDb"))
        } catch let error as JobStoreError {
            throw reader.invalid("address", address, "a CouchDB host or URL (\(error))")
        }
    }
}
