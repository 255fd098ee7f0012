import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Logging
import Metrics
import PrimeSum
import PrimeSumJobs
import PrimeSumServer
import Prometheus
import ServiceLifecycle

/// `primesum serve`: the HTTP API, the workers and the cleaner. Settings come from flags, then
/// environment variables, then defaults (swift-configuration).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the service: the HTTP API, workers and cleaner.",
        discussion: "Settings (flag / environment variable: meaning (default)):\n"
            + ServerConfiguration.settings.map { setting in
                "  \(ServerConfiguration.flag(for: setting.key)) / \(ServerConfiguration.environmentVariable(for: setting.key)): \(setting.help)"
            }.joined(separator: "\n")
    )

    @Argument(parsing: .allUnrecognized, help: "Settings as --key value (see below).")
    var settings: [String] = []

    func validate() throws {
        let known = Set(ServerConfiguration.settings.map { ServerConfiguration.flag(for: $0.key) })
        for argument in settings where argument.hasPrefix("-") {
            let flag = String(argument.prefix { $0 != "=" })
            guard known.contains(flag) else {
                throw ValidationError("unknown setting \(flag); see primesum serve --help")
            }
        }
        _ = try configuration()
    }

    func run() async throws {
        var settings = try configuration()
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        let json = settings.logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                json
                ? JSONLogHandler(label: label, replica: ReplicaName.current)
                : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        var metrics = PrometheusMetricsFactory(registry: registry)
        metrics.valueHistogramBuckets["primesum_store_write_batch_size"] = [
            1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
        ]
        MetricsSystem.bootstrap(metrics)
        let logger = Logger(label: "primesum")
        let tracing = try TraceExport.bootstrap(replica: ReplicaName.current, logger: logger)
        settings.tracing = tracing != nil

        let store = try await Self.configured {
            try StoreFactory.makeStore(url: settings.storeURL, logger: logger)
        }
        logger.info(
            "starting",
            metadata: [
                "address": "\(settings.host):\(settings.port)",
                "store": "\(StoreFactory.redacted(settings.storeURL))",
                "role": "\(settings.role.rawValue)", "workers": "\(settings.workers)",
            ])
        let drain = DrainState()
        let app = try buildApplication(
            configuration: settings, store: store, drain: drain, metrics: registry, logger: logger)
        // The drain runs last so that it stops first: a SIGTERM marks the replica draining and
        // answers held long-polls before the HTTP server waits for its open requests.
        // The exporter runs first so that it stops last, with the last spans.
        let group = ServiceGroup(
            configuration: .init(
                services: (tracing.map { [$0] } ?? []) + [app, drain],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await Self.configured { try await group.run() }
    }

    /// Runs `body`, turning a store's configuration error (a URL it cannot use, a server whose
    /// certificate does not verify) into a usage error: one line, exit code 2, no retrying.
    private static func configured<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as JobStoreError where error.isConfigurationError {
            throw ValidationError(error.description)
        }
    }

    private func configuration() throws -> ServerConfiguration {
        let reader = ConfigReader(providers: [
            CommandLineArgumentsProvider(arguments: ["primesum"] + settings),
            EnvironmentVariablesProvider(),
        ])
        do {
            return try ServerConfiguration(reading: reader)
        } catch let error as ServerConfiguration.Invalid {
            throw ValidationError(error.description)
        }
    }
}
