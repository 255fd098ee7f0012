import Configuration
import PrimeSumJobs
import PrimeSumRedis
import Testing

@testable import PrimeSumServer

@Suite struct ConfigurationTests {
    static func read(arguments: [String] = [], environment: [String: String] = [:]) throws
        -> ServerConfiguration
    {
        try ServerConfiguration(
            reading: ConfigReader(providers: [
                CommandLineArgumentsProvider(arguments: ["primesum"] + arguments),
                EnvironmentVariablesProvider(environmentVariables: environment),
            ]))
    }

    @Test func defaultsMatchTheDesign() throws {
        let settings = try Self.read()
        #expect(settings.port == 8080 && settings.storeURL == "sqlite:./primesum.sqlite")
        #expect(settings.resultsTTL == .seconds(600) && settings.role == .all)
    }

    @Test func flagsWinOverEnvironmentWhichWinsOverDefaults() throws {
        let settings = try Self.read(
            arguments: ["--http-port", "9000", "--limits-max-job-seconds=12.5"],
            environment: ["HTTP_PORT": "7000", "STORE_URL": "memory:", "QUEUE_CAPACITY": "5", "ROLE": "api"])
        #expect(settings.port == 9000)
        #expect(settings.maxJobSeconds == 12.5)
        #expect(settings.storeURL == "memory:" && settings.queueCapacity == 5 && settings.role == .api)
    }

    @Test(arguments: [
        (["--http-port", "eighty"], "--http-port"), (["--http-port", "70000"], "HTTP_PORT"),
        (["--role", "boss"], "--role"), (["--results-ttl", "0"], "RESULTS_TTL"),
        (["--rate-limit-submits-per-second", "-1"], "--rate-limit-submits-per-second"),
        (["--tracing-link", "http://jaeger/trace/"], "TRACING_LINK"),
        (["--tracing-link", "javascript:alert({traceId})"], "--tracing-link"),
    ])
    func badValuesAreErrorsNamingFlagAndVariable(_ arguments: [String], _ mention: String) {
        #expect {
            try Self.read(arguments: arguments)
        } throws: { error in
            "\(error)".contains(mention)
        }
    }

    @Test func theSeedDeploymentsCouchDBVariablesChooseTheStore() throws {
        let environment = [
            "COUCH_DB_ADDRESS": "couchdb-svc-couchdb", "COUCH_DB_PORT": "5984", "COUCH_DB_USERNAME": "admin",
            "COUCH_DB_PASSWORD": "p@ss/word", "COUCH_DB_RESPONSE_DB": "responses",
        ]
        let settings = try Self.read(environment: environment)
        #expect(settings.storeURL == "couchdb://admin:p%40ss%2Fword@couchdb-svc-couchdb:5984/responses")
        #expect(
            StoreFactory.redacted(settings.storeURL)
                == "couchdb://admin:***@couchdb-svc-couchdb:5984/responses")
        // store.url, when given, wins.
        let explicit = try Self.read(environment: environment.merging(["STORE_URL": "memory:"]) { $1 })
        #expect(explicit.storeURL == "memory:")
        #expect(throws: ServerConfiguration.Invalid.self) {
            try Self.read(environment: ["COUCH_DB_ADDRESS": "couch", "COUCH_DB_RESPONSE_DB": "Not Valid"])
        }
    }

    /// Every key is listed once, is read into its own property (section by section, through
    /// scoped readers), and shows the default the configuration holds.
    @Test func everyKeyIsListedOnceReadIntoItsPropertyAndShowsItsDefault() throws {
        let keys = ServerConfiguration.settings.map(\.key)
        #expect(Set(keys).count == keys.count && keys.count == 41)
        let settings = try Self.read(environment: [
            "HTTP_IDLE_TIMEOUT": "7", "WORKERS_FOR_PARTS": "3", "ENGINE_NICE": "4",
            "LIMITS_MAX_JOB_MEMORY": "1024", "RATE_LIMIT_POLL_BURST": "9",
            "RATE_LIMIT_SUBMITS_PER_SECOND": "0",
            "AUTH_KEYS_FILE": "/keys", "LOG_LEVEL": "debug", "HTTP_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
            "REPLICAS_HEARTBEAT_SECONDS": "8", "JOBS_PART_SET_UP_SHARE": "0.25", "JOBS_PIECE_SECONDS": "45",
            "HTTP_TLS_CERTIFICATE": "/tls/crt", "HTTP_TLS_KEY": "/tls/key",
            "TRACING_LINK": "https://tempo.example/explore?trace={traceId}",
        ])
        #expect(settings.traceLink == "https://tempo.example/explore?trace={traceId}")
        #expect(settings.tlsCertificateFile == "/tls/crt" && settings.tlsKeyFile == "/tls/key")
        #expect(
            settings.idleTimeout == .seconds(7) && settings.partWorkers == 3 && settings.engineNiceness == 4)
        #expect(settings.maxJobMemoryBytes == 1024 && settings.pollLimit.burst == 9)
        #expect(settings.submitLimit == .init(perSecond: 0, burst: 200))
        #expect(settings.authKeysFile == "/keys" && settings.logLevel == "debug")
        #expect(settings.trustedProxies == ["10.0.0.1", "10.0.0.2"])
        #expect(settings.replicaHeartbeatInterval == .seconds(8) && settings.partSetUpShare == 0.25)
        #expect(settings.pieceSeconds == 45)
        func help(_ key: String) -> String? { ServerConfiguration.settings.first { $0.key == key }?.help }
        #expect(help("http.port")?.hasSuffix("(8080)") == true)
        #expect(help("results.ttl")?.hasSuffix("(600)") == true)
        #expect(help("jobs.splitSeconds")?.hasSuffix("(2)") == true)
        #expect(help("jobs.partSetUpShare")?.hasSuffix("(0.1)") == true)
        #expect(help("jobs.pieceSeconds")?.hasSuffix("(30)") == true)
        #expect(help("store.url")?.hasSuffix("(sqlite:./primesum.sqlite)") == true)
    }

    @Test func theAPIsCertificateAndKeyGoTogether() throws {
        #expect(try Self.read(environment: [:]).tlsCertificateFile == nil)
        #expect {
            try Self.read(environment: ["HTTP_TLS_CERTIFICATE": "/tls/crt"])
        } throws: { error in
            "\(error)".contains(
                "http.tls.key (--http-tls-key or HTTP_TLS_KEY) must be set with http.tls.certificate")
        }
    }

    @Test func flagAndVariableNamesFollowSwiftConfiguration() {
        #expect(ServerConfiguration.flag(for: "limits.maxJobSeconds") == "--limits-max-job-seconds")
        #expect(
            ServerConfiguration.environmentVariable(for: "rateLimit.submitsPerSecond")
                == "RATE_LIMIT_SUBMITS_PER_SECOND")
    }
}

@Suite struct StoreFactoryTests {
    @Test func redisURLsMakeTheRedisStoreAndItsSettingsAreChecked() throws {
        let store = try StoreFactory.makeStore(
            url: "redis://:secret@127.0.0.1:6379/2?prefix=blue", logger: .init(label: "t"))
        #expect(store is RedisJobStore)
        #expect(
            try StoreFactory.makeStore(url: "rediss://127.0.0.1:6380", logger: .init(label: "t"))
                is RedisJobStore)
        #expect(
            throws: JobStoreError.invalidConfiguration(
                "invalid Redis URL: sslmode must be one of require, verify-ca, verify-full, not 'disable'")
        ) {
            try StoreFactory.makeStore(
                url: "rediss://127.0.0.1:6380?sslmode=disable", logger: .init(label: "t"))
        }
        #expect(StoreFactory.redacted("redis://app:secret@h:6379/0") == "redis://app:***@h:6379/0")
    }

    @Test func anUnknownSchemeListsTheSupportedOnes() {
        #expect {
            try StoreFactory.makeStore(url: "mongodb://h", logger: .init(label: "t"))
        } throws: { error in
            "\(error)".contains("redis://") && "\(error)".contains("postgres://")
        }
    }
}
