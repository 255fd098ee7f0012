import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import PrimeSum
import PrimeSumServer
import Prometheus

/// `primesum serve`: the HTTP API and the workers. Each option falls back to its environment
/// variable, then to the default.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the service: the HTTP API, workers and cleaner.")

    @Option(help: "Address to listen on (env HTTP_HOST).") var host: String?
    @Option(help: "Port to listen on (env HTTP_PORT, default 8080).") var port: Int?
    @Option(help: "memory: or sqlite:PATH (env STORE_URL, default sqlite:./primesum.sqlite).") var store:
        String?
    @Option(help: "api, worker or all (env ROLE).") var role: String?
    @Option(help: "Workers in this process (env WORKERS_COUNT, default: the cores).") var workers: Int?
    @Option(help: "Queued jobs before submits get 503 (env QUEUE_CAPACITY).") var queueCapacity: Int?
    @Option(help: "Seconds a result stays readable (env RESULTS_TTL, default 600).") var resultsTtl: Int?
    @Option(help: "Largest estimated job in seconds (env LIMITS_MAX_JOB_SECONDS).") var maxJobSeconds: Double?
    @Option(help: "Largest estimated job memory in bytes (env LIMITS_MAX_JOB_MEMORY).") var maxJobMemory:
        UInt64?
    @Option(help: "trace, debug, info, notice, warning, error (env LOG_LEVEL).") var logLevel: String?

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be in 0...65535") }
        if let workers, workers < 0 { throw ValidationError("--workers must not be negative") }
        if let role, ServerConfiguration.Role(rawValue: role) == nil {
            throw ValidationError("--role must be api, worker or all")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var settings = ServerConfiguration()
        settings.host = host ?? environment["HTTP_HOST"] ?? settings.host
        settings.port = try port ?? environment.integer("HTTP_PORT") ?? settings.port
        settings.storeURL = store ?? environment["STORE_URL"] ?? settings.storeURL
        if let role = role ?? environment["ROLE"] {
            guard let parsed = ServerConfiguration.Role(rawValue: role) else {
                throw ValidationError("ROLE must be api, worker or all")
            }
            settings.role = parsed
        }
        settings.workers = try workers ?? environment.integer("WORKERS_COUNT") ?? settings.workers
        settings.queueCapacity =
            try queueCapacity ?? environment.integer("QUEUE_CAPACITY") ?? settings.queueCapacity
        if let ttl = try resultsTtl ?? environment.integer("RESULTS_TTL") {
            settings.resultsTTL = .seconds(ttl)
        }
        settings.maxJobSeconds =
            maxJobSeconds ?? environment["LIMITS_MAX_JOB_SECONDS"].flatMap(Double.init)
            ?? settings.maxJobSeconds
        settings.maxJobMemoryBytes =
            maxJobMemory ?? environment["LIMITS_MAX_JOB_MEMORY"].flatMap { UInt64($0) }
            ?? settings.maxJobMemoryBytes

        let level = (logLevel ?? environment["LOG_LEVEL"]).flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "primesum")

        let jobStore = try StoreFactory.makeStore(url: settings.storeURL)
        logger.info(
            "starting",
            metadata: [
                "address": "\(settings.host):\(settings.port)", "store": "\(redacted(settings.storeURL))",
                "role": "\(settings.role.rawValue)", "workers": "\(settings.workers)",
            ])
        let app = buildApplication(
            configuration: settings, store: jobStore, metrics: registry, logger: logger)
        try await app.runService()
    }

    /// The store URL without its password, for logs.
    private func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "(unprintable store url)"
    }
}

extension [String: String] {
    fileprivate func integer(_ name: String) throws -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text) else { throw ValidationError("\(name) must be an integer (got \(text))") }
        return value
    }
}
