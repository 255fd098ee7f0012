import Foundation

/// `redis://[user:password@]host[:port][/db][?pool=N&prefix=NAME]`, parsed and checked.
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

    public init(_ text: String) throws(RedisClientError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            let host = components.host, !host.isEmpty
        else {
            throw .invalidURL("expected redis://[user:password@]host:port[/db]")
        }
        guard scheme == "redis" else {
            throw .invalidURL(
                scheme == "rediss"
                    ? "rediss:// (TLS) is not supported; reach Redis over a private network or a TLS tunnel"
                    : "the scheme must be redis://")
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
