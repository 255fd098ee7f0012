import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import PrimeSum
import PrimeSumJobs
import Prometheus
import ServiceLifecycle

/// Builds the service: the HTTP API on `store`, and, by role, the workers and the cleaner.
///
/// `metrics` is the registry that `/metrics` renders; `main` bootstraps swift-metrics with it.
/// `drain` is not one of the application's services: run it after the application in one
/// service group (see `DrainState`), or not at all. Throws when `auth.keysFile` or the API's
/// certificate (`http.tls.certificate`, `http.tls.key`) cannot be read.
public func buildApplication(
    configuration: ServerConfiguration, store: any JobStore, engine: PrimeSumEngine? = nil,
    drain: DrainState = DrainState(), metrics: PrometheusCollectorRegistry, logger: Logger
) throws -> some ApplicationProtocol {
    let engine =
        engine ?? PrimeSumEngine(threads: configuration.engineThreads, niceness: configuration.engineNiceness)
    // A store with connections of its own runs first, so it is the last to stop.
    var services: [any Service] = (store as? any Service).map { [$0] } ?? []
    let store = store.measured
    drain.wakesWaiters(of: store.changes)
    let keys = try configuration.authKeysFile.map(APIKeys.init(contentsOfFile:))
    let router = buildRouter(
        configuration: configuration, store: store, engine: engine, metrics: metrics, drain: drain, keys: keys
    )
    let replica = ReplicaName.current
    let activity = ReplicaActivity()
    let started = store.clock.now()
    // A pool of no workers would end at once, and with it the service group.
    if configuration.role != .api && configuration.workers > 0 {
        let pool = WorkerPool.Configuration(
            workers: configuration.workers, partWorkers: configuration.partWorkers,
            leaseDuration: configuration.leaseDuration,
            idlePollInterval: configuration.idlePollInterval, resultsTTL: configuration.resultsTTL,
            drainTimeout: configuration.drainTimeout)
        services.append(
            WorkerPool(
                store: store, configuration: pool, logger: logger, name: replica, activity: activity,
                // The pool's figures go to the registry `/metrics` renders, bootstrapped or not.
                metrics: PrometheusMetricsFactory(registry: metrics),
                split: { job in
                    guard let range = try? PrimeRange(a: job.a, b: job.b) else { return [] }
                    return engine.parts(
                        of: range, partSeconds: configuration.splitSeconds,
                        maximumSetUpShare: configuration.partSetUpShare,
                        pieceSeconds: configuration.pieceSeconds
                    ).map { part in
                        switch part {
                        case .range(let range): JobPartPlan(range.a..<range.b)
                        case .prefixPiece(let piece):
                            JobPartPlan(
                                0..<piece.x + 1, piece: JobPiece(index: piece.index, count: piece.count))
                        }
                    }
                },
                describe: { job in
                    guard let range = try? PrimeRange(a: job.a, b: job.b) else { return [:] }
                    let estimate = engine.estimate(range)
                    return [
                        "primesum.engine.method": .string(estimate.method.rawValue),
                        "primesum.engine.estimate_seconds": .double(estimate.seconds),
                        "primesum.engine.estimate_bytes": .int64(Int64(clamping: estimate.peakBytes)),
                    ]
                }
            ) { job, progress in
                do {
                    if let piece = job.piece {
                        let part = try PrefixSumPart(x: job.b - 1, index: piece.index, of: piece.count)
                        return .finishedPiece(try await engine.sum(part, progress: progress).bytes)
                    }
                    return .finished(
                        try await engine.sum(try PrimeRange(a: job.a, b: job.b), progress: progress))
                } catch PrimeSumError.cancelled {
                    throw CancellationError()
                }
            })
    }
    services.append(
        Cleaner(
            store: store, interval: configuration.cleanerInterval, maxAttempts: configuration.maxAttempts,
            resultsTTL: configuration.resultsTTL, holder: replica, logger: logger,
            workerLease: configuration.leaseDuration, metrics: PrometheusMetricsFactory(registry: metrics)))
    if let heartbeats = store as? any HeartbeatStore {
        services.append(
            HeartbeatService(
                store: heartbeats, clock: store.clock,
                replica: ReplicaHeartbeat(
                    name: replica, role: configuration.role.rawValue,
                    workers: configuration.role == .api ? 0 : configuration.workers,
                    version: PrimeSumVersion.current,
                    startedAt: started, seenAt: started),
                activity: activity, interval: configuration.replicaHeartbeatInterval, logger: logger))
    }
    let connections = ConnectionLimit(maximum: configuration.maxConnections)
    var server = HTTPServerBuilder.http1(
        configuration: .init(
            additionalChannelHandlers: [connections.handler()],
            idleTimeout: .nanoseconds(configuration.idleTimeout.components.seconds * 1_000_000_000),
            // A request's head fits in a few hundred bytes; a larger one is refused (400).
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: 8 * 1024, maxHeaderListSize: 16 * 1024, maxHeaderFieldCount: 100)))
    if let certificateFile = configuration.tlsCertificateFile, let keyFile = configuration.tlsKeyFile {
        let certificate = try ServedCertificate(
            certificateFile: certificateFile, keyFile: keyFile, logger: logger)
        server = try .tls(server, tlsConfiguration: certificate.configuration())
        services.append(certificate)
    }
    return Application(
        router: router,
        server: server,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "primesum"),
        services: services,
        logger: logger
    )
}

/// The routes and middleware, without services: what `app.test(.router)` exercises.
func buildRouter(
    configuration: ServerConfiguration, store: any JobStore, engine: PrimeSumEngine,
    metrics: PrometheusCollectorRegistry, drain: DrainState, keys: APIKeys? = nil
) -> Router<PrimeSumRequestContext> {
    let router = Router(context: PrimeSumRequestContext.self)
    if configuration.tracing { router.add(middleware: RequestTracingMiddleware()) }
    router.add(middleware: MetricsMiddleware())
    let allowed = AllowedMethods()
    router.add(middleware: APIErrorMiddleware(allowed: allowed, maxBodyBytes: configuration.maxBodyBytes))
    router.get("healthz") { _, _ in HTTPResponse.Status.ok }
    router.get("readyz") { _, _ -> HTTPResponse.Status in
        guard !drain.isDraining else {
            throw APIError(
                .serviceUnavailable, code: "draining", message: "this replica is shutting down", retryAfter: 1
            )
        }
        try await StoreDeadline.run { try await store.ping() }
        return .ok
    }
    router.get("metrics") { _, _ -> Response in
        var buffer: [UInt8] = []
        metrics.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
    ConsoleController(traceLink: configuration.traceLink).addRoutes(to: router)
    // The job routes and the console's API share the keys and the rate limits.
    let rateLimit = RateLimitMiddleware(
        submits: RateLimiter(limit: configuration.submitLimit),
        polls: RateLimiter(limit: configuration.pollLimit),
        trustedProxies: configuration.trustedProxies)
    let jobs = router.group("sumPrime")
    let console = router.group("v1")
    for group in [jobs, console] {
        if let keys { group.add(middleware: APIKeyMiddleware(keys: keys)) }
        group.add(middleware: rateLimit)
    }
    SumPrimeController(store: store, engine: engine, configuration: configuration, drain: drain).addRoutes(
        to: jobs)
    StatsController(
        store: store,
        documents: SplitJobView(store: store, engine: engine),
        drain: drain
    ).addRoutes(to: console)
    allowed.load(from: router)
    return router
}
