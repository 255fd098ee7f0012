import Foundation
import PrimeSumJobs
import PrimeSumTLS

/// `postgres://user:password@host:port/database?schema=NAME&pool=N&sslmode=MODE`, parsed and
/// checked. TLS takes libpq's parameters and meanings (`sslmode` default `prefer`,
/// `sslrootcert`, `sslcert`, `sslkey`); an unknown parameter is refused, not ignored.
public struct PostgresStoreURL: Sendable {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    /// The schema the tables live in (default `public`), so several deployments can share a database.
    public var schema: String
    /// Connections in this replica's pool, the change listener's included.
    public var poolSize: Int
    /// How connections use TLS.
    public var tls: TLSSettings

    /// The query parameters this URL takes.
    public static let parameters = TLSSettings.parameters.union(["schema", "pool"])

    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
            ["postgres", "postgresql"].contains(components.scheme),
            let host = components.host, !host.isEmpty
        else {
            throw JobStoreError.invalidConfiguration("expected postgres://user:password@host:port/database")
        }
        self.host = host
        port = components.port ?? 5432
        username = components.user ?? "postgres"
        password = components.password
        database =
            String(components.path.dropFirst()).isEmpty ? username : String(components.path.dropFirst())
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }) { $1 }
        if let unknown = query.keys.sorted().first(where: { !Self.parameters.contains($0) }) {
            throw JobStoreError.invalidConfiguration(
                "unknown parameter '\(unknown)' (known: \(Self.parameters.sorted().joined(separator: ", ")))")
        }
        do {
            tls = try TLSSettings(query: query, defaultMode: .prefer)
        } catch {
            throw JobStoreError.invalidConfiguration(error.description)
        }
        schema = query["schema"] ?? "public"
        guard schema.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }),
            !schema.isEmpty
        else {
            throw JobStoreError.invalidConfiguration("schema must be lower-case letters, digits and _")
        }
        // The listener holds one connection for the store's life: with one alone, every query
        // would wait for it forever.
        guard let pool = Int(query["pool"] ?? "10"), (2...500).contains(pool) else {
            throw JobStoreError.invalidConfiguration(
                "pool must be an integer in 2...500 (one connection is held by the change listener)")
        }
        poolSize = pool
    }
}
