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

    @Test func submitsOverTheClientsRateGet429WithRetryAfter() async throws {
        try await APITests.app {
            $0.workers = 0
            $0.submitLimit = .init(perSecond: 0.5, burst: 3)
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
