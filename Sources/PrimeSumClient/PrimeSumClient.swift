import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PrimeSumAPI
import PrimeSumTLS
import Synchronization

/// A client of the primesum HTTP API, used by `primesum submit`, `status` and `loadtest`.
public struct PrimeSumClient: Sendable {
    /// One answer: the HTTP status, the job document and the server's Retry-After.
    public struct Answer: Sendable {
        public let status: Int
        public let job: JobDocument
        public let retryAfter: Int?
    }

    private let baseURL: String
    private let http: HTTPClient
    private let apiKey: String?
    private let timeout: TimeAmount
    /// How an `https://` server is verified: its certificate and host name, against the
    /// system's trust store or the CAs of a file.
    private var tls: TLSSettings

    /// A client of the server at `baseURL` (for example `http://127.0.0.1:8080`, or `https://…`
    /// whose certificate is checked against the system's trust store).
    public init(
        baseURL: String, apiKey: String? = nil, http: HTTPClient = .shared, timeout: Duration = .seconds(75)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = http
        self.apiKey = apiKey
        self.timeout = .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
        tls = TLSSettings(mode: .verifyFull)
    }

    /// A client of an `https://` server whose certificate is signed by a CA of `caFile` (a
    /// private CA), with an HTTP client of its own that lives as long as the process.
    public init(baseURL: String, apiKey: String? = nil, caFile: String, timeout: Duration = .seconds(75))
        throws(PrimeSumClientError)
    {
        let tls = TLSSettings(mode: .verifyFull, rootCertificateFile: caFile)
        var configuration = HTTPClient.Configuration()
        do {
            configuration.tlsConfiguration = try tls.clientConfiguration()
        } catch {
            throw .transport("--ca-file: \(error)")
        }
        let http = Self.clients.withLock { clients in
            if let client = clients[caFile] { return client }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[caFile] = client
            return client
        }
        self.init(baseURL: baseURL, apiKey: apiKey, http: http, timeout: timeout)
        self.tls.rootCertificateFile = caFile
    }

    /// The HTTP clients of `init(baseURL:apiKey:caFile:timeout:)`, one per CA file, kept for the
    /// process's life as `HTTPClient.shared` is (an HTTPClient must not be released running).
    private static let clients = Mutex<[String: HTTPClient]>([:])

    /// POST /sumPrime; `preferWait` adds `Prefer: wait=N`.
    public func submit(a: String, b: String, preferWait: Int? = nil, idempotencyKey: String? = nil)
        async throws(PrimeSumClientError)
        -> Answer
    {
        var request = makeRequest("/sumPrime", method: .POST)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let preferWait { request.headers.add(name: "Prefer", value: "wait=\(preferWait)") }
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        let body = try? JSONSerialization.data(withJSONObject: ["a": a, "b": b])
        request.body = .bytes(ByteBuffer(bytes: body ?? Data()))
        return try await send(request)
    }

    /// GET /sumPrime/{id}, long-polling up to `wait` seconds when given.
    public func job(id: String, wait: Int? = nil) async throws(PrimeSumClientError) -> Answer {
        try await send(makeRequest("/sumPrime/\(id)" + (wait.map { "?wait=\($0)" } ?? ""), method: .GET))
    }

    /// DELETE /sumPrime/{id}.
    public func cancel(id: String) async throws(PrimeSumClientError) -> Answer {
        try await send(makeRequest("/sumPrime/\(id)", method: .DELETE))
    }

    private func makeRequest(_ path: String, method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        return request
    }

    private func send(_ request: HTTPClientRequest) async throws(PrimeSumClientError) -> Answer {
        let status: Int
        let retryAfter: Int?
        let body: ByteBuffer
        do {
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: timeout)
            } catch let error as HTTPClientError
                where error == .remoteConnectionClosed && request.method == .GET
            {
                // A pooled connection the server closed as idle (http.idleTimeout) just as it was
                // reused: a read is safe to send once more, on a new connection.
                response = try await http.execute(request, timeout: timeout)
            }
            status = Int(response.status.code)
            retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            if baseURL.hasPrefix("https:"), let host = URLComponents(string: baseURL)?.host,
                let reason = tls.explain(error, host: host)
            {
                throw .transport("\(baseURL): \(reason)")
            }
            throw .transport("\(error)")
        }
        let data = Data(body.readableBytesView)
        guard (200..<300).contains(status) else {
            let envelope = try? JSONDecoder().decode(ErrorEnvelope.self, from: data)
            throw .server(
                status: status, code: envelope?.error.code ?? "http_\(status)",
                message: envelope?.error.message ?? String(decoding: data.prefix(200), as: UTF8.self),
                retryAfter: retryAfter)
        }
        do {
            return Answer(
                status: status, job: try JSONDecoder().decode(JobDocument.self, from: data),
                retryAfter: retryAfter)
        } catch {
            throw .unexpectedResponse(
                "not a job document: \(String(decoding: data.prefix(200), as: UTF8.self))")
        }
    }

    private struct ErrorEnvelope: Decodable {
        let error: JobDocument.Failure
    }
}
