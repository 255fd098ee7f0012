import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PrimeSum
import PrimeSumJobs
import Prometheus
import Testing

@testable import PrimeSumServer

/// The HTTP API through Hummingbird's test client, on the memory store with real workers.
@Suite struct APITests {
    static func app(
        store: any JobStore = MemoryJobStore(), engine: PrimeSumEngine = PrimeSumEngine(threads: 1),
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        var configuration = ServerConfiguration()
        configuration.workers = 2
        configure(&configuration)
        return try buildApplication(
            configuration: configuration, store: store, engine: engine,
            metrics: PrometheusCollectorRegistry(), logger: Logger(label: "test"))
    }

    static let json: HTTPFields = [.contentType: "application/json"]

    static func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    static func field(_ buffer: ByteBuffer, _ name: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])?[name] as? String
    }

    @Test func submitThenLongPollToTheSum() async throws {
        try await Self.app().test(.router) { client in
            let id = try await client.execute(
                uri: "/sumPrime", method: .post, headers: Self.json,
                body: ByteBuffer(string: #"{"a":"1","b":"60000000"}"#)
            ) { response in
                #expect(response.status == .accepted)
                #expect(response.headers[.retryAfter] != nil)
                let document = try Self.object(response.body)
                // IN_PROGRESS when stored already claimed by an idle worker of this replica.
                #expect(["QUEUED", "IN_PROGRESS"].contains(document["status"] as? String))
                let id = try #require(document["_id"] as? String)
                #expect(response.headers[.location] == "/sumPrime/\(id)")
                return id
            }
            try await client.execute(uri: "/sumPrime/\(id)?wait=30", method: .get) { response in
                #expect(response.status == .ok)
                let document = try Self.object(response.body)
                #expect(document["status"] as? String == "FINISHED")
                #expect(document["sum"] as? String == "103468900363400")
                #expect(document["a"] as? String == "1" && document["b"] as? String == "60000000")
                #expect(document["ttl"] is Int && document["attempts"] as? Int == 1)
            }
        }
    }

    @Test func preferWaitAnswersWithTheFinishedDocumentAndReusesIt() async throws {
        try await Self.app().test(.router) { client in
            var headers = Self.json
            headers[.prefer] = "wait=30"
            let body = ByteBuffer(string: #"{"a":10,"b":1000}"#)
            let id = try await client.execute(uri: "/sumPrime", method: .post, headers: headers, body: body) {
                response in
                #expect(response.status == .ok)
                let document = try Self.object(response.body)
                #expect(document["sum"] as? String == "76110")
                return document["_id"] as? String
            }
            try await client.execute(uri: "/sumPrime", method: .post, headers: Self.json, body: body) {
                response in
                #expect(response.status == .ok)
                #expect(Self.field(response.body, "_id") == id)
            }
        }
    }

    /// A submit that may not be queued is still answered when it can be: a full queue refuses a
    /// new range but answers a range with a known result, and an `Idempotency-Key` retry of a
    /// job already accepted.
    @Test func aFullQueueStillAnswersKnownResultsAndRetries() async throws {
        let store = MemoryJobStore()
        let now = store.clock.now()
        _ = try await store.submit(Job(a: 10, b: 1_000, createdAt: now, expiresAt: now))
        let claimed = try #require(try await store.claimNext(worker: "test", lease: .seconds(60)))
        _ = try await store.complete([Completion(claimed, .finished(76_110))], ttl: .seconds(600))
        try await Self.app(store: store) {
            $0.workers = 0
            $0.queueCapacity = 1
        }.test(.router) { client in
            func submit(_ body: String, key: String? = nil) async throws -> (
                HTTPResponse.Status, [String: Any]
            ) {
                var headers = Self.json
                headers[.idempotencyKey] = key
                return try await client.execute(
                    uri: "/sumPrime", method: .post, headers: headers, body: ByteBuffer(string: body)
                ) { ($0.status, try Self.object($0.body)) }
            }
            let (accepted, first) = try await submit(#"{"a":1,"b":100}"#, key: "first")
            #expect(accepted == .accepted)
            let (full, refusal) = try await submit(#"{"a":1,"b":200}"#)
            #expect(full == .serviceUnavailable)
            #expect((refusal["error"] as? [String: Any])?["code"] as? String == "queue_full")
            let (retried, again) = try await submit(#"{"a":1,"b":100}"#, key: "first")
            #expect(retried == .accepted && again["_id"] as? String == first["_id"] as? String)
            let (answered, known) = try await submit(#"{"a":10,"b":1000}"#)
            #expect(answered == .ok && known["sum"] as? String == "76110")
            #expect(try await store.queuedCount() == 1)
        }
    }

    @Test func expiredResultsAre404() async throws {
        try await Self.app { $0.resultsTTL = .seconds(1) }.test(.router) { client in
            var headers = Self.json
            headers[.prefer] = "wait=30"
            let id = try await client.execute(
                uri: "/sumPrime", method: .post, headers: headers,
                body: ByteBuffer(string: #"{"a":1,"b":100}"#)
            ) { response in
                // The finished job itself, as stored: a GET here could come after the second
                // the result lives on a loaded machine.
                #expect(response.status == .ok && Self.field(response.body, "status") == "FINISHED")
                return Self.field(response.body, "_id") ?? ""
            }
            try await Task.sleep(for: .milliseconds(1_100))
            try await client.execute(uri: "/sumPrime/\(id)", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func idempotencyKeyAnswersWithTheSameJob() async throws {
        try await Self.app { $0.workers = 0 }.test(.router) { client in
            var headers = Self.json
            headers[.idempotencyKey] = "order-17"
            var ids: [String] = []
            for body in [#"{"a":1,"b":100}"#, #"{"a":1,"b":200}"#] {
                try await client.execute(
                    uri: "/sumPrime", method: .post, headers: headers, body: ByteBuffer(string: body)
                ) {
                    ids.append(try Self.object($0.body)["_id"] as? String ?? "")
                }
            }
            #expect(ids.count == 2 && ids[0] == ids[1])
        }
    }

    @Test func deleteCancelsAQueuedJob() async throws {
        try await Self.app { $0.workers = 0 }.test(.router) { client in
            let id = try await client.execute(
                uri: "/sumPrime", method: .post, headers: Self.json,
                body: ByteBuffer(string: #"{"a":1,"b":100}"#)
            ) { try Self.object($0.body)["_id"] as? String ?? "" }
            try await client.execute(uri: "/sumPrime/\(id)", method: .delete) { response in
                #expect(response.status == .ok)
                #expect(Self.field(response.body, "status") == "CANCELLED")
            }
            try await client.execute(uri: "/sumPrime/\(id)", method: .get) { response in
                #expect(Self.field(response.body, "status") == "CANCELLED")
            }
        }
    }

    @Test func deleteStopsARunningComputation() async throws {
        let engine = PrimeSumEngine(threads: 1)
        try await Self.app(engine: engine) { $0.workers = 1 }.test(.router) { client in
            // About 100 s of work on one thread.
            let id = try await client.execute(
                uri: "/sumPrime", method: .post, headers: Self.json,
                body: ByteBuffer(string: #"{"a":0,"b":"100000000000000000"}"#)
            ) { try Self.object($0.body)["_id"] as? String ?? "" }
            for _ in 0..<500 where engine.runningComputations == 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(engine.runningComputations == 1, "the computation never started")
            try await client.execute(uri: "/sumPrime/\(id)", method: .delete) { response in
                #expect(Self.field(response.body, "status") == "CANCELLED")
            }
            // The computation's thread stops at its next check: well within a second here, five at most on a loaded machine.
            for _ in 0..<250 where engine.runningComputations > 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(engine.runningComputations == 0, "the computation still runs after DELETE")
            try await client.execute(uri: "/sumPrime/\(id)", method: .get) { response in
                #expect(Self.field(response.body, "status") == "CANCELLED")
            }
        }
    }

    /// The whole 64-bit domain is one job when the limit allows an hour: accepted, and its
    /// progress moves (the run to the end is in BENCHMARKS.md); DELETE then stops it.
    @Test func theWholeDomainIsAcceptedUnderAnHourLimitAndMakesProgress() async throws {
        let engine = PrimeSumEngine(threads: 1)
        let app = try Self.app(engine: engine) {
            $0.workers = 1
            $0.maxJobSeconds = 3600
        }
        try await app.test(.router) { client in
            let id = try await client.execute(
                uri: "/sumPrime", method: .post, headers: Self.json,
                body: ByteBuffer(string: #"{"a":0,"b":"18446744073709551615"}"#)
            ) { response in
                #expect(response.status == .accepted)
                return try Self.object(response.body)["_id"] as? String ?? ""
            }
            var progress = 0.0
            for _ in 0..<600 where progress == 0 {
                try await Task.sleep(for: .milliseconds(100))
                try await client.execute(uri: "/sumPrime/\(id)", method: .get) { response in
                    progress = try Self.object(response.body)["progress"] as? Double ?? 0
                }
            }
            #expect(progress > 0 && progress < 0.5, "progress \(progress)")
            try await client.execute(uri: "/sumPrime/\(id)", method: .delete) { response in
                #expect(Self.field(response.body, "status") == "CANCELLED")
            }
            for _ in 0..<250 where engine.runningComputations > 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(engine.runningComputations == 0, "the computation still runs after DELETE")
        }
    }

    @Test(arguments: [
        (#"{"a":1,"b":"#, 400, "malformed_json", #"the body must be a JSON object like {"a": 1, "b": 10}"#),
        (#"[1,2]"#, 400, "malformed_json", #"the body must be a JSON object like {"a": 1, "b": 10}"#),
        (#"{"b":5}"#, 400, "invalid_a", "a is missing"),
        (#"{"a":1}"#, 400, "invalid_b", "b is missing"),
        (#"{"a":-1,"b":5}"#, 400, "invalid_a", "a must not be negative"),
        (#"{"a":1.5,"b":5}"#, 400, "invalid_a", "a must be an integer"),
        (#"{"a":5,"b":5}"#, 400, "invalid_b", "b must be greater than a (got a=5, b=5)"),
        (
            #"{"a":1,"b":18446744073709551616}"#, 400, "invalid_b",
            "b must be at most 2^64-1 = 18446744073709551615"
        ),
        (
            #"{"a":1,"b":"18446744073709551616"}"#, 400, "invalid_b",
            "b must be at most 2^64-1 = 18446744073709551615 (got 18446744073709551616)"
        ),
        (#"{"a":"x","b":5}"#, 400, "invalid_a", #"a must be a string of decimal digits (got "x")"#),
        (#"{"a":true,"b":5}"#, 400, "invalid_a", "a must be an integer or a string of decimal digits"),
        (#"{"a":null,"b":5}"#, 400, "invalid_a", "a is missing"),
        (#"{"a":0,"b":"18446744073709551615"}"#, 422, "over_cost_limit", ""),
        ("HUGE", 413, "body_too_large", "the request body is larger than 4096 bytes"),
    ])
    func badSubmitsGetClearErrors(_ text: String, _ status: Int, _ code: String, _ message: String)
        async throws
    {
        let body =
            text == "HUGE"
            ? "{\"a\":1,\"b\":2,\"pad\":\"" + String(repeating: "x", count: 10_000) + "\"}" : text
        try await Self.app { $0.workers = 0 }.test(.router) { client in
            try await client.execute(
                uri: "/sumPrime", method: .post, headers: Self.json, body: ByteBuffer(string: body)
            ) {
                response in
                #expect(response.status.code == status)
                let error = try #require(try Self.object(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == code)
                // The cost limit's message carries estimates; the others are exact.
                if message.isEmpty {
                    #expect((error["message"] as? String)?.hasPrefix("the estimate (") == true, "\(error)")
                } else {
                    #expect(error["message"] as? String == message)
                }
            }
        }
    }

    @Test func nonJSONBodiesGet415() async throws {
        try await Self.app { $0.workers = 0 }.test(.router) { client in
            try await client.execute(
                uri: "/sumPrime", method: .post, headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: "1 10")
            ) { response in
                #expect(response.status == .unsupportedMediaType)
                let error = try #require(try Self.object(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == "unsupported_media_type")
            }
        }
    }

    @Test(arguments: [
        ("/healthz", HTTPRequest.Method.put, "GET"), ("/sumPrime", .get, "POST"), ("/sumPrime", .put, "POST"),
        ("/sumPrime/0b0f8a3e-8d5e-4a8e-9d7e-1c2b3a4d5e6f", .post, "DELETE, GET"),
        ("/metrics", .delete, "GET"),
    ])
    func aKnownPathWithAnotherMethodIs405(_ path: String, _ method: HTTPRequest.Method, _ allow: String)
        async throws
    {
        try await Self.app { $0.workers = 0 }.test(.router) { client in
            try await client.execute(uri: path, method: method) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == allow)
                let error = try #require(try Self.object(response.body)["error"] as? [String: Any])
                #expect(error["code"] as? String == "method_not_allowed")
            }
            try await client.execute(uri: "/nowhere", method: method) { #expect($0.status == .notFound) }
        }
    }

    @Test func aWaitTooLargeForAnIntegerIsCappedNotRefused() async throws {
        try await Self.app { $0.maxWaitSeconds = 1 }.test(.router) { client in
            let id = try await client.execute(
                uri: "/sumPrime", method: .post, headers: Self.json,
                body: ByteBuffer(string: #"{"a":1,"b":100}"#)
            ) { try #require(try Self.object($0.body)["_id"] as? String) }
            try await client.execute(uri: "/sumPrime/\(id)?wait=101044888943179988992", method: .get) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/sumPrime/\(id)?wait=-1", method: .get) {
                #expect($0.status == .badRequest)
            }
        }
    }

    @Test func healthReadinessAndMetrics() async throws {
        try await Self.app { $0.workers = 0 }.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .ok) }
        }
    }
}
