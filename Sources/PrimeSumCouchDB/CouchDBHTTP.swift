// Written by hand: no Swift CouchDB client is available here, so this is the one thin layer
// over CouchDB's HTTP API (AsyncHTTPClient underneath). Everything CouchDB-specific that is
// not about jobs lives in this file.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PrimeSumJobs
import PrimeSumTLS

/// Sends requests to one CouchDB database with basic authentication and turns every failure
/// that is not the caller's to handle into `JobStoreError.unavailable`, with no credentials in
/// its text.
struct CouchDBHTTP: Sendable {
    /// What CouchDB answered: its status and its JSON body.
    struct Response: Sendable {
        var status: HTTPResponseStatus
        var body: ByteBuffer

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            do {
                return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
            } catch {
                throw JobStoreError.corrupt(
                    "CouchDB answered \(status.code) with \(T.self) that did not decode: \(error)")
            }
        }
    }

    let client: HTTPClient
    let url: CouchDBStoreURL
    private let authorization: String?
    /// Learns CouchDB's clock from the `Date` header of every answer.
    private let clock: StoreClock

    /// Throws `JobStoreError.invalidConfiguration` when a TLS file cannot be read.
    init(url: CouchDBStoreURL, clock: StoreClock) throws {
        self.url = url
        self.clock = clock
        authorization = url.username.map { username in
            "Basic " + Data("\(username):\(url.password ?? "")".utf8).base64EncodedString()
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = url.poolSize
        // A refused connection fails its request at once (its caller retries, or answers 503):
        // AsyncHTTPClient's retries back off up to a minute, and a replica whose CouchDB was
        // restarted for 15 s stayed out for more than 30 s after it was back (scripts/nemesis).
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(30))
        configuration.decompression = .disabled
        do {
            configuration.tlsConfiguration = try url.tls?.clientConfiguration()
        } catch {
            throw JobStoreError.invalidConfiguration(error.description)
        }
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// A path inside the database: `["_design", "x"]` → `/db/_design/x`, each part escaped.
    func databasePath(_ parts: String...) -> String {
        ([url.database] + parts).map(Self.escape).joined(separator: "/")
    }

    /// Sends one request and returns CouchDB's answer when its status is in `accepted`;
    /// anything else (other statuses, no connection, timeouts) throws.
    @discardableResult
    func send(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
        json body: (any Encodable)? = nil,
        accepting accepted: Set<UInt> = [200, 201, 202], timeout: Duration = .seconds(30)
    ) async throws -> Response {
        let response = try await stream(method, path, query: query, json: body, timeout: timeout)
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw unavailable(error)
        }
        guard accepted.contains(response.status.code) else {
            throw rejection(Response(status: response.status, body: bytes))
        }
        return Response(status: response.status, body: bytes)
    }

    /// A request's body, its keys sorted so that a definition CouchDB compares is the same
    /// bytes from every process. Swift orders a dictionary differently in each process, and a
    /// Mango index sent in another order is "created" again: its design document is rewritten
    /// and every index in it rebuilt over the whole database while the queries using them
    /// wait, at each replica's start (9.6 s after 25 minutes of `scripts/nemesis couchdb`).
    static func encode(_ body: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return try encoder.encode(body)
    }

    /// Sends one request and hands back the response with its body still streaming (for the
    /// `_changes` feed); a status other than 200 throws.
    func stream(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [],
        json body: (any Encodable)? = nil,
        timeout: Duration
    ) async throws -> HTTPClientResponse {
        var components = URLComponents()
        components.percentEncodedPath = "/" + path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        var request = HTTPClientRequest(url: url.server + (components.string ?? "/"))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            let data = try Self.encode(body)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        do {
            let sent = clock.localNow()
            let response = try await client.execute(request, timeout: .init(timeout))
            if let date = response.headers.first(name: "Date").flatMap(HTTPDate.parse) {
                // Whole seconds, from a string CouchDB renews once a second: up to 2 s behind.
                clock.record(sent: sent, serverTime: date, resolution: 2, received: clock.localNow())
            }
            return response
        } catch {
            throw unavailable(error)
        }
    }

    /// CouchDB's `{"error": …, "reason": …}` as a store error.
    func rejection(_ response: Response) -> JobStoreError {
        struct Failure: Decodable {
            var error: String?
            var reason: String?
        }
        let failure = try? response.decode(Failure.self)
        let detail = [failure?.error, failure?.reason].compactMap { $0 }.joined(separator: ": ")
        let hint =
            switch response.status.code {
            case 401, 403: " (check the CouchDB user name and password)"
            case 404: " (does the database exist?)"
            case 202: " (written on fewer nodes than the write quorum, so not reported as done)"
            default: ""
            }
        return .unavailable("CouchDB answered \(response.status.code) \(detail)\(hint)")
    }

    private func unavailable(_ error: any Error) -> JobStoreError {
        if let error = error as? JobStoreError { return error }
        let reason =
            switch error {
            case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
                "timed out"
            case let error as HTTPClientError where error == .connectTimeout:
                "connection timed out"
            case is CancellationError: "cancelled"
            default: "\(error)"
            }
        if let tls = url.tls, let host = URLComponents(string: url.server)?.host,
            let explained = (error as? HTTPClientError) == .tlsHandshakeTimeout
                ? "the server does not speak TLS on this port (no handshake within the connect timeout)"
                : tls.explain(error, host: host)
        {
            return .tlsFailed("CouchDB at \(url.server): \(explained)")
        }
        return .unavailable("CouchDB at \(url.server): \(reason)")
    }

    /// Escapes one path segment (document ids may hold `:` and `/`).
    static func escape(_ segment: String) -> String {
        let allowed = CharacterSet(
            charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    func shutdown() async throws {
        try await client.shutdown()
    }
}
