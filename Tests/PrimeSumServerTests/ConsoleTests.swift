import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PrimeSum
import PrimeSumJobs
import Testing

@testable import PrimeSumServer

@Suite struct ConsoleTests {
    @Test(arguments: ["/", "/console", "/console.js", "/console.css"])
    func theConsoleIsServedFromTheBinaryAndMayLoadNothingFromElsewhere(_ path: String) async throws {
        try await APITests.app { $0.workers = 0 }.test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                let policy = try #require(response.headers[.contentSecurityPolicy])
                #expect(policy.hasPrefix("default-src 'none';"))
                #expect(policy.contains("script-src 'self';") && policy.contains("connect-src 'self';"))
                #expect(!policy.contains("http") && !policy.contains("*"))
                let text = String(buffer: response.body)
                switch path {
                case "/console.js":
                    #expect(response.headers[.contentType]?.hasPrefix("text/javascript") == true)
                    #expect(text.contains("/v1/events"))
                case "/console.css": #expect(response.headers[.contentType]?.hasPrefix("text/css") == true)
                default:
                    #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                    #expect(text.contains(#"<script src="/console.js""#) && !text.contains("http://"))
                }
            }
        }
    }

    /// `tracing.link` reaches the page escaped, as the content of its `<meta>`.
    @Test func thePageNamesTheTraceLinkEscaped() async throws {
        let link = #"https://tempo.example/explore?a=1&b="x"&trace={traceId}"#
        try await APITests.app {
            $0.workers = 0
            $0.traceLink = link
        }.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(
                    String(buffer: response.body).contains(
                        #"<meta name="primesum-trace-link" content="https://tempo.example/explore?a=1&amp;b=&quot;x&quot;&amp;trace={traceId}">"#
                    ))
            }
        }
    }

    /// Two replicas' heartbeats, each with a window of finished jobs, and three queued jobs.
    private static func storeWithTwoReplicas(now: Date) async throws -> MemoryJobStore {
        let store = MemoryJobStore()
        let window = ReplicaActivity.windowStart(now) - ReplicaActivity.windowSeconds
        for (index, latencies) in [[1.0, 1.0, 1.0], [100.0]].enumerated() {
            var activity = ActivityWindow(start: window)
            for latency in latencies {
                activity.finished += 1
                activity.latency.record(milliseconds: latency)
            }
            let heartbeat = ReplicaHeartbeat(
                name: "replica-\(index)", role: "all", workers: 2 + index, version: "9.9.9", startedAt: now,
                seenAt: now, running: 1 + index, activity: [activity])
            try await store.record(heartbeat, until: now.addingTimeInterval(60))
        }
        for a in UInt64(1)...3 {
            _ = try await store.submit(
                Job(a: a, b: 100, createdAt: now, expiresAt: now.addingTimeInterval(60)))
        }
        return store
    }

    @Test func statsAddUpEveryReplicasHeartbeat() async throws {
        let now = Date()
        let store = try await Self.storeWithTwoReplicas(now: now)
        let windowStart = ReplicaActivity.windowStart(now) - ReplicaActivity.windowSeconds
        try await APITests.app(store: store) { $0.role = .api }.test(.router) { client in
            try await client.execute(uri: "/v1/stats", method: .get) { response in
                #expect(response.status == .ok)
                let stats = try APITests.object(response.body)
                #expect(stats["queued"] as? Int == 3)
                #expect(stats["inProgress"] as? Int == 3)
                // This replica (role api, no workers) has written its own heartbeat by now or not:
                // the two from the store are there either way.
                #expect((stats["replicas"] as? Int ?? 0) >= 2)
                #expect((stats["workers"] as? Int ?? 0) == 5)
                let windows = try #require(stats["windows"] as? [[String: Any]])
                #expect(windows.count == ReplicaActivity.windowCount)
                // The last complete window, unless a window boundary passed since `now`.
                let last = try #require(windows.first { $0["start"] as? Int64 == windowStart })
                #expect(last["finished"] as? Int == 4)
                #expect(last["finishedPerSecond"] as? Double == 0.4)
                let p50 = try #require(last["p50Ms"] as? Double)
                let p99 = try #require(last["p99Ms"] as? Double)
                #expect(p50 >= 1 && p50 <= 1.2, "p50 \(p50)")
                #expect(p99 >= 100 && p99 <= 120, "p99 \(p99)")
                let others = windows.filter { $0["start"] as? Int64 != windowStart }
                #expect(others.allSatisfy { $0["finished"] as? Int == 0 && $0["p50Ms"] == nil })
            }
            try await client.execute(uri: "/v1/replicas", method: .get) { response in
                let replicas = try #require(
                    try APITests.object(response.body)["replicas"] as? [[String: Any]])
                let names = replicas.compactMap { $0["name"] as? String }
                #expect(names.contains("replica-0") && names.contains("replica-1"))
                #expect(
                    replicas.first { $0["name"] as? String == "replica-1" }?["version"] as? String == "9.9.9")
            }
        }
    }

    @Test func withAuthOnTheConsoleAPINeedsAKeyButThePageDoesNot() async throws {
        try await APITests.app {
            $0.workers = 0
            $0.authKeysFile = AuthAndRateLimitTests.keysFile
        }.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { #expect($0.status == .ok) }
            for path in ["/v1/stats", "/v1/replicas", "/v1/events"] {
                try await client.execute(uri: path, method: .get) { #expect($0.status == .unauthorized) }
            }
            try await client.execute(
                uri: "/v1/stats", method: .get,
                headers: AuthAndRateLimitTests.headers(token: "alice-token-0123456789")
            ) { #expect($0.status == .ok) }
        }
    }

    @Test func theEventStreamRefusesBadJobIds() async throws {
        try await APITests.app { $0.workers = 0 }.test(.router) { client in
            try await client.execute(uri: "/v1/events?job=nope", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("job must be a job id"))
            }
            let many = (0...StatsController.maxWatchedJobs).map { _ in "job=\(UUID())" }.joined(
                separator: "&")
            try await client.execute(uri: "/v1/events?\(many)", method: .get) {
                #expect($0.status == .badRequest)
            }
        }
    }
}

/// Collects what a streamed body writes, and stops it (by throwing) once `enough` says so.
private final class EventCollector: ResponseBodyWriter, @unchecked Sendable {
    struct Enough: Error {}
    private(set) var text = ""
    let enough: (String) -> Bool

    init(until enough: @escaping (String) -> Bool) { self.enough = enough }

    func write(_ buffer: ByteBuffer) async throws {
        text += String(buffer: buffer)
        if enough(text) { throw Enough() }
    }

    func finish(_ trailers: HTTPFields?) async throws {}
}

@Suite struct ConsoleEventsTests {
    private static func events(_ store: any JobStore, drain: DrainState = DrainState()) -> ConsoleEvents {
        ConsoleEvents(
            store: store,
            documents: SplitJobView(store: store, engine: PrimeSumEngine(threads: 1)),
            stats: ServiceStats(store: store), drain: drain)
    }

    @Test func aWatchedJobIsSentAsItChangesAndAnUnknownOneIsGone() async throws {
        let store = MemoryJobStore()
        let now = Date()
        let job = try await store.submit(
            Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(60))
        ).job
        let unknown = UUID()
        let collector = EventCollector { $0.contains(#""status":"FINISHED""#) }
        let body = try Self.events(store).stream(watching: [job.id, unknown], owner: nil)
        let streaming = Task { try? await body.write(collector) }
        // Finish the job once the stream has sent it as QUEUED.
        var sentQueued = false
        for _ in 0..<200 where !sentQueued {
            try await Task.sleep(for: .milliseconds(20))
            sentQueued = collector.text.contains(#""status":"QUEUED""#)
        }
        #expect(sentQueued)
        let claimed = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        _ = try await store.complete([Completion(claimed, .finished(17))], ttl: .seconds(60))
        await streaming.value
        let text = collector.text
        #expect(text.contains("event: stats\ndata: {"))
        #expect(text.contains("event: replicas\ndata: {"))
        #expect(text.contains("event: gone\ndata: {\"id\":\"\(unknown.uuidString.lowercased())\"}"))
        #expect(text.contains(#""status":"FINISHED""#) && text.contains(#""sum":"17""#))
    }

    /// A split job's progress is in its parts, not in its own record: the events carry the
    /// API's document (parts, weighted progress), and a part is no job to watch.
    @Test(.timeLimit(.minutes(1))) func aSplitJobIsSentWithItsPartsProgressAndAPartIsGone() async throws {
        let store = MemoryJobStore()
        let now = Date()
        _ = try await store.submit(
            Job(a: 1_000_000, b: 3_000_000, createdAt: now, expiresAt: now.addingTimeInterval(60)))
        let parent = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        _ = try await store.split(
            parent, into: [1_000_000..<2_000_000, 2_000_000..<3_000_000], ttl: .seconds(60))
        let running = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        #expect(
            try await store.renewLeases([LeaseRenewal(running.lease!, progress: 0.5)], lease: .seconds(15))
                .isEmpty)
        let collector = EventCollector { $0.contains("event: gone") && $0.contains(#""parts""#) }
        let body = try Self.events(store).stream(watching: [parent.id, running.id], owner: nil)
        try? await body.write(collector)
        let text = collector.text
        #expect(text.contains(#""parts":{"attempts":1,"finished":0,"running":1,"total":2}"#), "\(text)")
        // Two parts of about equal estimate, one half done.
        let progress = try #require(
            text.firstRange(of: #""progress":"#).map { text[$0.upperBound...].prefix(5) })
        #expect(abs((Double(progress.prefix { $0 != "," && $0 != "}" }) ?? 0) - 0.25) < 0.02, "\(progress)")
        #expect(text.contains("event: gone\ndata: {\"id\":\"\(running.id.uuidString.lowercased())\"}"))
    }

    @Test func anotherKeysJobIsGone() async throws {
        let store = MemoryJobStore()
        let now = Date()
        let job = try await store.submit(
            Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(60), owner: "bob")
        ).job
        let collector = EventCollector { $0.contains("event: gone") }
        let body = try Self.events(store).stream(watching: [job.id], owner: "alice")
        try? await body.write(collector)
        #expect(!collector.text.contains(#""status""#))
    }

    @Test func aStreamEndsWhenTheReplicaDrains() async throws {
        let drain = DrainState()
        let collector = EventCollector { _ in false }
        let body = try Self.events(MemoryJobStore(), drain: drain).stream(watching: [], owner: nil)
        let streaming = Task { try await body.write(collector) }
        try await Task.sleep(for: .milliseconds(100))
        drain.begin()
        // Ends by itself within a tick: a stream that ignored the drain would hang this test.
        try await streaming.value
        #expect(collector.text.contains("event: stats"))
    }

    @Test func streamsPastTheLimitAreRefusedAndReleasedOnesFreeTheirPlace() throws {
        let events = Self.events(MemoryJobStore())
        var open = try (0..<ConsoleEvents.maxStreams).map { _ in try events.stream(watching: [], owner: nil) }
        #expect(events.openStreams == ConsoleEvents.maxStreams)
        #expect(throws: APIError.self) { try events.stream(watching: [], owner: nil) }
        open.removeLast()
        #expect(events.openStreams == ConsoleEvents.maxStreams - 1)
        open.append(try events.stream(watching: [], owner: nil))
        open.removeAll()
        #expect(events.openStreams == 0)
    }
}
