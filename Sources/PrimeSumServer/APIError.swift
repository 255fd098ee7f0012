import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PrimeSum
import PrimeSumJobs

/// Every error the API answers with, and the one place where errors become HTTP statuses and
/// `{"error": {"code": …, "message": …}}` bodies.
public struct APIError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var retryAfter: Int?
    public var details: [String: String] = [:]
    /// Extra response headers, such as WWW-Authenticate.
    public var headers: HTTPFields = [:]
    /// What this error leaves unread of the request's body: it decides whether the answer
    /// closes the connection (`APIErrorMiddleware`).
    public var unreadBody = UnreadBody.none

    /// The part of a request's body that an error answer leaves unread.
    public enum UnreadBody: Sendable {
        /// Nothing: the body was read, or there was none.
        case none
        /// The body, or its rest: answered before reading it (401, 413, 415, 429).
        case unread
        /// A body still arriving, too slowly (408).
        case stalled
    }

    /// The body, encoded ahead (`prepared()`); nil: encoded when answered.
    private var preparedBody: ByteBuffer?

    /// This error with its body encoded once, for an error answered very often with the same
    /// code and message (429 under a flood: encoding the body anew each time cost 7% of the
    /// server's CPU). `details` set later are not in that body.
    public func prepared() -> APIError {
        var error = self
        error.preparedBody = encodedBody()
        return error
    }

    /// This error, marked as answered with `unreadBody` left unread.
    public func leaving(_ unreadBody: UnreadBody) -> APIError {
        var error = self
        error.unreadBody = unreadBody
        return error
    }

    public init(_ status: HTTPResponse.Status, code: String, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The API's view of any error thrown while handling a request.
    public init(from error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case PrimeSumError.invalidInput(let field, let reason):
            self.init(.badRequest, code: "invalid_\(field)", message: "\(field) \(reason)")
        case let error as JobStoreError:
            self.init(
                .serviceUnavailable, code: "store_unavailable", message: error.description, retryAfter: 2)
        case let error as HTTPError where error.status == .contentTooLarge:
            self.init(.contentTooLarge, code: "body_too_large", message: "the request body is too large")
            unreadBody = .unread
        case let error as HTTPError:
            self.init(
                error.status,
                code: error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_"),
                message: error.body ?? error.status.reasonPhrase)
        default:
            self.init(.internalServerError, code: "internal", message: "internal error")
        }
    }

    /// The JSON response for this error.
    public func response() -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        return Response(
            status: status, headers: headers, body: .init(byteBuffer: preparedBody ?? encodedBody()))
    }

    private func encodedBody() -> ByteBuffer {
        var fields: [String: String] = ["code": code, "message": message]
        fields.merge(details) { current, _ in current }
        return ByteBuffer(bytes: (try? JSONEncoder.api.encode(["error": fields])) ?? Data())
    }
}

/// Turns every error thrown below it into `APIError.response()`.
struct APIErrorMiddleware: RouterMiddleware {
    typealias Context = PrimeSumRequestContext
    /// The router's paths and their methods, for 405.
    let allowed: AllowedMethods
    /// The largest body a request may have (`limits.maxBodyBytes`).
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // The router found no route: a known path asked with another method is a 405.
            let methods = allowed.methods(for: request.uri.path)
            guard !methods.isEmpty else { return APIError(from: error).response() }
            var apiError = APIError(
                .methodNotAllowed, code: "method_not_allowed",
                message: "\(request.method.rawValue) is not allowed here; use \(Self.list(methods))")
            apiError.headers[.allow] = methods.map(\.rawValue).joined(separator: ", ")
            return apiError.response()
        } catch {
            let apiError = APIError(from: error)
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            }
            var response = apiError.response()
            if closesConnection(apiError.unreadBody, request) {
                // The rest of the body is never read: close the connection once the answer is
                // written (and say so), rather than leave a client blocked sending it (with
                // `Connection: close` the server would otherwise wait for it forever) or read
                // an unbounded body to reuse the connection.
                response.headers[.connection] = "close"
                context.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
            return response
        }
    }

    /// Whether an error answer must close the connection: one that left the body unread when
    /// what is left of it may be large (declared larger than a body may be, or chunked); one
    /// whose body is still arriving, always. A small unread body is read and dropped by the
    /// server, and the connection reused.
    private func closesConnection(_ unreadBody: APIError.UnreadBody, _ request: Request) -> Bool {
        switch unreadBody {
        case .none: return false
        case .stalled: return true
        case .unread:
            let declared = request.headers[.contentLength].flatMap { Int($0) } ?? 0
            return request.headers[.transferEncoding] != nil || declared > maxBodyBytes
        }
    }

    private static func list(_ methods: [HTTPRequest.Method]) -> String {
        methods.map(\.rawValue).joined(separator: " or ")
    }
}

extension JSONEncoder {
    static let api: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}
