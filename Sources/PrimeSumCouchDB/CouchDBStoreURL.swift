import Foundation
import PrimeSumJobs
import PrimeSumTLS

/// `couchdb://user:password@host:port/database?pool=N` (plain HTTP; `http://` and `https://`
/// work too), parsed and checked. Credentials go into an Authorization header, never a URL.
/// `https://` checks the server's certificate and host name unless told otherwise
/// (`sslmode=verify-ca` or `require`; `sslrootcert`, `sslcert`, `sslkey` as libpq's). An
/// unknown parameter is refused, not ignored.
public struct CouchDBStoreURL: Sendable {
    /// `http://host:port` or `https://host:port`, the server every request goes to.
    public var server: String
    public var database: String
    public var username: String?
    public var password: String?
    /// Connections this replica keeps open to CouchDB.
    public var poolSize: Int
    /// TLS for `https://`; nil for plain HTTP.
    public var tls: TLSSettings?

    /// The query parameters this URL takes (the TLS ones with `https://` only).
    public static let parameters = TLSSettings.parameters.union(["pool"])

    public init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme,
            ["couchdb", "http", "https"].contains(scheme),
            let host = components.host, !host.isEmpty
        else {
            throw JobStoreError.invalidConfiguration("expected couchdb://user:password@host:port/database")
        }
        let secure = scheme == "https"
        let port = components.port ?? 5984
        server = "\(secure ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        let path = components.path.split(separator: "/").joined(separator: "/")
        database = path.isEmpty ? "primesum" : path
        guard Self.isValidDatabaseName(database) else {
            throw JobStoreError.invalidConfiguration(
                "CouchDB database names start with a lower-case letter and hold only a-z, 0-9 and _$()+-/"
            )
        }
        username = components.user?.removingPercentEncoding
        password = components.password?.removingPercentEncoding
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }) { $1 }
        if let unknown = query.keys.sorted().first(where: { !Self.parameters.contains($0) }) {
            throw JobStoreError.invalidConfiguration(
                "unknown parameter '\(unknown)' (known: \(Self.parameters.sorted().joined(separator: ", ")))")
        }
        if secure {
            do {
                tls = try TLSSettings(
                    query: query, defaultMode: .verifyFull, modes: [.require, .verifyCA, .verifyFull])
            } catch {
                throw JobStoreError.invalidConfiguration(error.description)
            }
        } else if let setting = query.keys.sorted().first(where: TLSSettings.parameters.contains) {
            throw JobStoreError.invalidConfiguration("\(setting) needs TLS: use https://")
        }
        guard let pool = Int(query["pool"] ?? "32"), (1...500).contains(pool) else {
            throw JobStoreError.invalidConfiguration("pool must be an integer in 1...500")
        }
        poolSize = pool
    }

    /// The URL for the original deployment's settings (`COUCH_DB_ADDRESS`, `COUCH_DB_PORT`,
    /// `COUCH_DB_USERNAME`, `COUCH_DB_PASSWORD`, `COUCH_DB_RESPONSE_DB`). The address is a host
    /// name, or a URL such as `https://couchdb.example:6984` whose scheme and port are kept
    /// unless a port is given.
    public static func fromSettings(
        address: String, port: Int?, username: String?, password: String?, database: String?
    ) throws -> String {
        let hasScheme = address.contains("://")
        guard var components = URLComponents(string: hasScheme ? address : "couchdb://\(address)"),
            let host = components.host, !host.isEmpty
        else {
            throw JobStoreError.invalidConfiguration("COUCH_DB_ADDRESS must be a host name or an http(s) URL")
        }
        if components.scheme == "http" { components.scheme = "couchdb" }
        components.port = port ?? components.port
        components.user = username
        components.password = password
        components.path = "/" + (database ?? "responses")
        components.query = nil
        let text = components.string ?? ""
        _ = try CouchDBStoreURL(text)
        return text
    }

    /// CouchDB's rule for database names.
    static func isValidDatabaseName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
                || "_$()+-/".unicodeScalars.contains(scalar)
        }
    }
}
