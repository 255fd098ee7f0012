import ArgumentParser
import Foundation
import Logging
import OTel
import PrimeSumServer
import ServiceLifecycle
import Tracing

/// OpenTelemetry tracing for `serve`, through swift-otel, configured by the standard `OTEL_*`
/// variables and off unless one of them asks for an exporter: `OTEL_TRACES_EXPORTER=otlp`, or
/// an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`);
/// `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` keeps it off. Only traces, over
/// OTLP/HTTP: metrics stay Prometheus's and logs the process's own.
enum TraceExport {
    /// Whether `environment` turns tracing on; throws for an exporter other than OTLP.
    static func isRequested(by environment: [String: String]) throws -> Bool {
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return false }
        if let exporter = environment["OTEL_TRACES_EXPORTER"]?.lowercased(), !exporter.isEmpty {
            // swift-otel builds no other exporter for traces (`console` is "not implemented").
            guard ["otlp", "none"].contains(exporter) else {
                throw ValidationError(
                    "tracing: OTEL_TRACES_EXPORTER=\(exporter) is not supported: use otlp (OTLP/HTTP) or none"
                )
            }
            return exporter == "otlp"
        }
        return ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"].contains {
            environment[$0]?.isEmpty == false
        }
    }

    /// Bootstraps the tracing system when the environment asks for it; the exporter's service,
    /// to run with the application (it sends the last spans on shutdown), or nil. An `OTEL_*`
    /// value swift-otel cannot use is a usage error (exit code 2).
    static func bootstrap(
        replica: String, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (any Service)? {
        guard try isRequested(by: environment) else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "primesum"
        configuration.resourceAttributes = [
            "service.instance.id": replica, "service.version": PrimeSumVersion.current,
        ]
        configuration.diagnosticLogger = .custom(logger)
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and the rest override these.
        do {
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(backend.factory)
            return backend.service
        } catch {
            throw ValidationError("tracing: \(error)")
        }
    }
}
