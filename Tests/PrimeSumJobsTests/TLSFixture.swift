import Foundation
import Testing

/// The TLS servers that `scripts/test` starts with `scripts/tls-servers`, and the throw-away
/// CA and certificates it made (`PRIMESUM_TEST_TLS_DIR`).
enum TLSFixture {
    static let environment = ProcessInfo.processInfo.environment
    static let directory = environment["PRIMESUM_TEST_TLS_DIR"]
    /// The password of the TLS servers, used by no other test: it must appear in no error.
    static let password = environment["PRIMESUM_TEST_TLS_PASSWORD"]
    static let postgres = environment["PRIMESUM_TEST_POSTGRES_TLS_URL"]
    static let postgresExpired = environment["PRIMESUM_TEST_POSTGRES_TLS_EXPIRED_URL"]
    static let redis = environment["PRIMESUM_TEST_REDIS_TLS_URL"]
    static let redisExpired = environment["PRIMESUM_TEST_REDIS_TLS_EXPIRED_URL"]
    static let couchDB = environment["PRIMESUM_TEST_COUCHDB_TLS_URL"]
    static let couchDBExpired = environment["PRIMESUM_TEST_COUCHDB_TLS_EXPIRED_URL"]
    /// The test CouchDB through a plain HTTP proxy, which answers a TLS hello at once.
    static let couchDBPlain = environment["PRIMESUM_TEST_COUCHDB_PLAIN_URL"]
    /// Whether the contract suites run over TLS (`PRIMESUM_TEST_OVER_TLS`) instead of on
    /// every backend in plain text.
    static let overTLS = environment["PRIMESUM_TEST_OVER_TLS"] != nil
    static let skipReason: Comment =
        "the PRIMESUM_TEST_*_TLS_URL variables are not set: run scripts/test, which starts scripts/tls-servers"

    /// `query` added to `url`'s query.
    static func adding(_ query: String, to url: String) -> String {
        url + (url.contains("?") ? "&" : "?") + query
    }

    /// A file of the throw-away CA's directory (`ca.pem`, `other-ca.pem`, `client.key`…).
    static func file(_ name: String) throws -> String {
        "\(try #require(directory))/\(name)"
    }

    /// The lines of a PEM file's body: none of them may appear in a log line or an error.
    static func secretLines(of name: String) throws -> [String] {
        try String(contentsOfFile: try file(name), encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("-----") }
    }

    /// `url` with one query parameter's value replaced (or added).
    static func setting(_ name: String, to value: String, in url: String) throws -> String {
        var components = try #require(URLComponents(string: url))
        var items = (components.queryItems ?? []).filter { $0.name != name }
        items.append(URLQueryItem(name: name, value: value))
        components.queryItems = items
        return try #require(components.string)
    }

    /// `url` with another host.
    static func host(_ host: String, in url: String) throws -> String {
        var components = try #require(URLComponents(string: url))
        components.host = host
        return try #require(components.string)
    }
}
