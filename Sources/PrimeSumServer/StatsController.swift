import Foundation
import HTTPTypes
import Hummingbird
import PrimeSumAPI
import PrimeSumJobs

/// What the console reads, under `/v1`: the service's figures (`stats`), the replicas seen
/// through their heartbeats (`replicas`), and both live with the console's jobs (`events`).
struct StatsController: Sendable {
    typealias Context = PrimeSumRequestContext

    let stats: ServiceStats
    let events: ConsoleEvents
    static let maxWatchedJobs = 20

    init(store: any JobStore, documents: SplitJobView, drain: DrainState) {
        stats = ServiceStats(store: store)
        events = ConsoleEvents(store: store, documents: documents, stats: stats, drain: drain)
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("stats", use: currentStats)
        group.get("replicas", use: replicas)
        group.get("events", use: eventStream)
    }

    @Sendable func currentStats(_ request: Request, context: Context) async throws -> Response {
        uncached(.json(encoding: try await stats.current().snapshot))
    }

    @Sendable func replicas(_ request: Request, context: Context) async throws -> Response {
        uncached(.json(encoding: ReplicaList(try await stats.current().replicas)))
    }

    @Sendable func eventStream(_ request: Request, context: Context) async throws -> Response {
        let texts = request.uri.queryParameters.getAll("job")
        guard texts.count <= Self.maxWatchedJobs else {
            throw APIError(
                .badRequest, code: "invalid_job", message: "watch at most \(Self.maxWatchedJobs) jobs at once"
            )
        }
        let ids = try texts.map { text in
            guard let id = UUID(uuidString: String(text)) else {
                throw APIError(
                    .badRequest, code: "invalid_job",
                    message: "job must be a job id (got '\(text.prefix(64))')")
            }
            return id
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: try events.stream(watching: ids, owner: context.keyName))
    }

    /// Live figures: no cache may keep them.
    private func uncached(_ response: Response) -> Response {
        var response = response
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

/// What `GET /v1/replicas` answers, and the console's `replicas` event.
struct ReplicaList: Encodable {
    let replicas: [ReplicaDocument]

    init(_ heartbeats: [ReplicaHeartbeat]) { replicas = heartbeats.map(ReplicaDocument.init) }
}

/// A replica as `GET /v1/replicas` lists it.
struct ReplicaDocument: Encodable {
    let name: String
    let role: String
    let workers: Int
    let version: String
    let startedAt: String
    let seenAt: String
    let running: Int

    init(_ heartbeat: ReplicaHeartbeat) {
        name = heartbeat.name
        role = heartbeat.role
        workers = heartbeat.workers
        version = heartbeat.version
        startedAt = JobDocument.format(heartbeat.startedAt)
        seenAt = JobDocument.format(heartbeat.seenAt)
        running = heartbeat.running
    }
}
