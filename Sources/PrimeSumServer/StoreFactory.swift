import Foundation
import Logging
import PrimeSumCouchDB
import PrimeSumJobs
import PrimeSumPostgres
import PrimeSumRedis
import PrimeSumRedisClient
import PrimeSumSQLite

/// Picks the backend named by `store.url`.
public enum StoreFactory {
    /// `memory:`, `sqlite:PATH`, `postgres://…`, `redis://…` or `couchdb://…` (also `http(s)://…`); other schemes are refused with the list of
    /// supported ones. A store that is also a `Service` must run among the application's services.
    public static func makeStore(url: String, logger: Logger) throws -> any JobStore {
        if url == "memory:" || url == "memory" { return MemoryJobStore() }
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else {
                throw JobStoreError.invalidConfiguration(
                    "sqlite: needs a path, as in sqlite:./primesum.sqlite")
            }
            return try SQLiteJobStore(path: path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try PostgresJobStore(url: try PostgresStoreURL(url), logger: logger)
        }
        if url.hasPrefix("redis://") || url.hasPrefix("rediss://") {
            do {
                return RedisJobStore(url: try RedisURL(url), logger: logger)
            } catch {
                throw JobStoreError.invalidConfiguration(error.description)
            }
        }
        if ["couchdb://", "http://", "https://"].contains(where: url.hasPrefix) {
            return CouchDBJobStore(url: try CouchDBStoreURL(url), logger: logger)
        }
        let scheme = url.split(separator: ":").first.map(String.init) ?? url
        throw JobStoreError.invalidConfiguration(
            "unsupported store scheme '\(scheme)' (supported: memory:, sqlite:PATH, postgres://user:password@host:port/database, redis://[user:password@]host:port[/db], couchdb://user:password@host:port/database)"
        )
    }

    /// The URL without its password, for logs.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "(unprintable store url)"
    }
}
