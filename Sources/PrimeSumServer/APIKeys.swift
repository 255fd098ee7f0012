import Foundation
import HTTPTypes
import Hummingbird

/// The API keys of `auth.keysFile`: one `name:token` a line, `#` starts a comment. A job
/// belongs to the key that created it; no other key can see it.
public struct APIKeys: Sendable {
    private let namesByToken: [String: String]

    /// Reads the keys file; a malformed or empty file is an error naming the line.
    public init(contentsOfFile path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ServerConfiguration.Invalid(
                description: "auth.keysFile: cannot read \(path): \(error.localizedDescription)")
        }
        try self.init(parsing: text, source: path)
    }

    init(parsing text: String, source: String) throws {
        var names: [String: String] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(separator: ":", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard parts.count == 2, !parts[0].isEmpty, parts[1].count >= 16 else {
                throw ServerConfiguration.Invalid(
                    description:
                        "auth.keysFile \(source) line \(index + 1): expected name:token with a token of 16 or more characters"
                )
            }
            names[parts[1]] = parts[0]
        }
        guard !names.isEmpty else {
            throw ServerConfiguration.Invalid(description: "auth.keysFile \(source) holds no keys")
        }
        namesByToken = names
    }

    /// The key's name for a bearer token, or nil.
    func name(forToken token: String) -> String? { namesByToken[token] }
}

/// Requires `Authorization: Bearer TOKEN` with a known token and records the key's name in
/// the context; answers 401 otherwise.
struct APIKeyMiddleware: RouterMiddleware {
    let keys: APIKeys

    func handle(
        _ request: Request, context: PrimeSumRequestContext,
        next: (Request, PrimeSumRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
            let name = keys.name(
                forToken: String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces))
        else {
            var error = APIError(
                .unauthorized, code: "unauthorized",
                message: "send a valid API key as Authorization: Bearer TOKEN")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error.leaving(.unread)
        }
        var context = context
        context.keyName = name
        return try await next(request, context)
    }
}
