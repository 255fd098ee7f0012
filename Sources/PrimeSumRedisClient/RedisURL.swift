import Foundation
import PrimeSumTLS

/// `redis://[user:password@]host[:port][/db][?pool=N&prefix=NAME]`, parsed and checked;
/// `rediss://` for TLS, which checks the server's certificate and host name unless told
/// otherwise (`sslmode=verify-ca` or `require`; `sslrootcert`, `sslcert`, `sslkey` as libpq's).
/// An unknown parameter is refused, not ignored.
public struct RedisURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The ACL user (Redis 6+); nil authenticates as `default` when a password is given.
    public var username: String?
    public var password: String?
    /// The logical database SELECTed on every connection.
    public var database: Int
    /// Connections in the command pool (the pub/sub connection is extra).
    public var poolSize: Int
    /// Every key the store writes begins with `prefix:`, so deployments can share a server.
    public var prefix: String
    /// TLS for `rediss://`; nil for `redis://`.
    public var tls: TLSSettings?

    /// The query parameters this URL takes (the TLS ones with `rediss://` only).
    public static let parameters = TLSSettings.parameters.union(["pool", "prefix"])

    public init(_ text: String) throws(RedisClientError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            let host = components.host, !host.isEmpty
        else {
            throw .invalidURL("expected redis://[user:password@]host:port[/db]")
        }
        guard scheme == "redis" || scheme == "rediss" else {
            throw .invalidURL("the scheme must be redis:// or rediss:// (TLS)")
        }
        self.host = host
        port = components.port ?? 6379
        username = components.user.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        password = components.password?.removingPercentEncoding
        let path = components.path.dropFirst()
        guard let database = path.isEmpty ? 0 : Int(path), database >= 0 else {
            throw .invalidURL("the database is a number, as in redis://host:6379/0")
        }
        self.database = database
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }) { $1 }
        if let unknown = query.keys.sorted().first(where: { !Self.parameters.contains($0) }) {
            throw .invalidURL(
                "unknown parameter '\(unknown)' (known: \(Self.parameters.sorted().joined(separator: ", ")))")
        }
        if scheme == "redis" {
            if let setting = query.keys.sorted().first(where: TLSSettings.parameters.contains) {
                throw .invalidURL("\(setting) needs TLS: use rediss://")
            }
        } else {
            do {
                tls = try TLSSettings(
                    query: query, defaultMode: .verifyFull, modes: [.require, .verifyCA, .verifyFull])
            } catch {
                throw .invalidURL(error.description)
            }
        }
        guard let pool = Int(query["pool"] ?? "4"), (1...64).contains(pool) else {
            throw .invalidURL("pool must be an integer in 1...64 (each connection pipelines many commands)")
        }
        poolSize = pool
        prefix = query["prefix"] ?? "primesum"
        guard !prefix.isEmpty,
            prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
        else {
            throw .invalidURL("prefix must be letters, digits, '_', '-' and '.'")
        }
    }
}
