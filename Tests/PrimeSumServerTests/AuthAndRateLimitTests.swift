import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import PrimeSumServer

@Suite struct AuthAndRateLimitTests {
    static let keysFile: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "primesum-keys-\(UUID()).txt"
        ).path
        try? "# test keys\nalice:alice-token-0123456789\nbob:bob-token-0123456789ab\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    static func headers(token: String?) -> HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return headers
    }

    @Test func withAuthOnJobsAreVisibleOnlyToTheirKey() async throws {
        try await APITests.app {
            $0.workers = 0
            $0.authKeysFile = Self.keysFile
        }.test(.router) { client in
            try await client.execute(
                uri: "/sumPrime", method: .post, headers: Self.headers(token: nil),
                body: ByteBuffer(string: #"{"a":1,"b":9}"#)
            ) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
            }
            try await client.execute(
                uri: "/sumPrime", method: .post, headers: Self.headers(token: "wrong-token-0123456789"),
                body: ByteBuffer(string: #"{"a":1,"b":9}"#)
            ) { #expect($0.status == .unauthorized) }
            let id = try await client.execute(
                uri: "/sumPrime", method: .post, headers: Self.headers(token: "alice-token-0123456789"),
                body: ByteBuffer(string: #"{"a":1,"b":9}"#)
            ) { response in
                #expect(response.status == .accepted)
                return APITests.field(response.body, "_id") ?? ""
            }
            try await client.execute(
                uri: "/sumPrime/\(id)", method: .get, headers: Self.headers(token: "alice-token-0123456789")
            ) {
                #expect($0.status == .ok)
            }
            for method in [HTTPRequest.Method.get, .delete] {
                try await client.execute(
                    uri: "/sumPrime/\(id)", method: method,
                    headers: Self.headers(token: "bob-token-0123456789ab")
                ) {
                    #expect($0.status == .notFound)
                }
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
        }
    }

    /// One key floods far above its rate while five others run the seed's flow (submit, then
    /// long-poll to the end): the flooder gets 429 with Retry-After, the others no error.
    @Test func aFlooderIsLimitedAndWellBehavedClientsAreNot() async throws {
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent(
            "primesum-keys-\(UUID()).txt")
        let tokens = (0..<6).map { "client-\($0)-token-0123456789" }
        try tokens.enumerated().map { "client\($0.offset):\($0.element)" }.joined(separator: "\n")
            .write(to: keys, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: keys) }
        try await APITests.app {
            $0.workers = 2
            $0.authKeysFile = keys.path
            $0.submitLimit = .init(perSecond: 1, burst: 10)
        }.test(.router) { client in
            let outcomes = try await withThrowingTaskGroup(of: (flooder: Bool, statuses: [Int]).self) {
                group in
                for stream in 0..<4 {
                    group.addTask {
                        var statuses: [Int] = []
                        for index in 0..<50 {
                            try await client.execute(
                                uri: "/sumPrime", method: .post, headers: Self.headers(token: tokens[0]),
                                body: ByteBuffer(string: #"{"a":1,"b":\#(1_000 + stream * 100 + index)}"#)
                            ) { response in
                                statuses.append(Int(response.status.code))
                                if response.status == .tooManyRequests {
                                    #expect(response.headers[.retryAfter].flatMap { Int($0) } ?? 0 >= 1)
                                }
                            }
                        }
                        return (true, statuses)
                    }
                }
                for well in 1..<6 {
                    group.addTask {
                        var statuses: [Int] = []
                        for index in 0..<5 {
                            let headers = Self.headers(token: tokens[well])
                            let id = try await client.execute(
                                uri: "/sumPrime", method: .post, headers: headers,
                                body: ByteBuffer(string: #"{"a":1,"b":\#(10_000 + well * 100 + index)}"#)
                            ) { response in
                                statuses.append(Int(response.status.code))
                                return APITests.field(response.body, "_id") ?? ""
                            }
                            // Long-polls until FINISHED; a minute only detects a hang (engine tests
                            // running beside this one have stalled a single 10 s wait on CI).
                            var status: String?
                            for _ in 0..<6 where status != "FINISHED" {
                                try await client.execute(
                                    uri: "/sumPrime/\(id)?wait=10", method: .get, headers: headers
                                ) {
                                    statuses.append(Int($0.status.code))
                                    status = APITests.field($0.body, "status")
                                }
                            }
                            #expect(status == "FINISHED")
                            try await Task.sleep(for: .milliseconds(100))
                        }
                        return (false, statuses)
                    }
                }
                return try await group.reduce(into: [(flooder: Bool, statuses: [Int])]()) { $0.append($1) }
            }
            let flooder = outcomes.filter(\.flooder).flatMap(\.statuses)
            let others = outcomes.filter { !$0.flooder }.flatMap(\.statuses)
            #expect(
                flooder.filter { $0 == 429 }.count >= 150,
                "the flooder got \(flooder.filter { $0 == 429 }.count) 429s")
            #expect(others.count >= 50 && others.allSatisfy { $0 == 200 || $0 == 202 }, "\(others)")
        }
    }

    @Test func submitsOverTheClientsRateGet429WithRetryAfter() async throws {
        try await APITests.app {
            $0.workers = 0
            // A token a hundred seconds: none comes back while the test runs, however loaded.
            $0.submitLimit = .init(perSecond: 0.01, burst: 3)
        }.test(.router) { client in
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<5 {
                try await client.execute(
                    uri: "/sumPrime", method: .post, headers: APITests.json,
                    body: ByteBuffer(string: #"{"a":1,"b":\#(10 + index)}"#)
                ) { response in
                    statuses.append(response.status)
                    if response.status == .tooManyRequests {
                        #expect(response.headers[.retryAfter].flatMap { Int($0) } ?? 0 >= 1)
                    }
                }
            }
            #expect(statuses == [.accepted, .accepted, .accepted, .tooManyRequests, .tooManyRequests])
            // Reads have their own bucket.
            try await client.execute(uri: "/sumPrime/3f2504e0-4f89-11d3-9a0c-0305e82c3301", method: .get) {
                #expect($0.status == .notFound)
            }
        }
    }

    @Test func tokenBucketsRefillAndKeepClientsApart() {
        let limiter = RateLimiter(limit: .init(perSecond: 2, burst: 2))
        let start = ContinuousClock.now
        #expect(limiter.acquire(for: "a", now: start) == nil)
        #expect(limiter.acquire(for: "a", now: start) == nil)
        #expect(limiter.acquire(for: "a", now: start) == 1)
        #expect(limiter.acquire(for: "b", now: start) == nil)
        #expect(limiter.acquire(for: "a", now: start + .milliseconds(600)) == nil)
    }

    /// A flood from many addresses, each still within its burst: the table of buckets stays
    /// bounded, and the most recent clients keep theirs.
    @Test func bucketsStayBoundedUnderAFloodFromManyClients() {
        let limiter = RateLimiter(limit: .init(perSecond: 1, burst: 5))
        let start = ContinuousClock.now
        for client in 0..<50_000 {
            _ = limiter.acquire(for: "client-\(client)", now: start + .microseconds(client))
            #expect(limiter.clientCount <= RateLimiter.pruneThreshold)
            if limiter.clientCount > RateLimiter.pruneThreshold { break }
        }
        let last = start + .microseconds(49_999)
        for _ in 0..<4 { _ = limiter.acquire(for: "client-49999", now: last) }
        #expect(limiter.acquire(for: "client-49999", now: last) != nil, "the latest client lost its bucket")
    }

    @Test func theDocumentCacheStaysWithinItsCapacity() {
        let cache = DocumentCache(capacity: 100)
        let expiry = Date().addingTimeInterval(600)
        for index in 0..<1_000 {
            cache.store(
                ByteBuffer(string: "\(index)"), for: UUID(), owner: nil, expiresAt: expiry + Double(index))
            #expect(cache.count <= 100)
        }
    }

    @Test func malformedKeysFilesAreRefused() {
        #expect(throws: ServerConfiguration.Invalid.self) {
            try APIKeys(parsing: "alice-without-token\n", source: "t")
        }
        #expect(throws: ServerConfiguration.Invalid.self) {
            try APIKeys(parsing: "alice:short\n", source: "t")
        }
        #expect(throws: ServerConfiguration.Invalid.self) { try APIKeys(parsing: "# nothing\n", source: "t") }
    }
}
