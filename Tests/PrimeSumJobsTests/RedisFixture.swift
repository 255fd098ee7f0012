import Foundation
import Logging
import PrimeSumJobs
import PrimeSumRedis
import PrimeSumRedisClient
import Testing

/// The Redis that `scripts/test` starts (`PRIMESUM_TEST_REDIS_URL`). Each store gets a key
/// prefix of its own, so tests never see each other's jobs.
enum RedisFixture {
    static let url = ProcessInfo.processInfo.environment["PRIMESUM_TEST_REDIS_URL"]
    static let skipReason: Comment =
        "PRIMESUM_TEST_REDIS_URL is not set: run scripts/test, which starts Redis"

    /// A fresh key prefix.
    static func prefix() -> String { "test-\(UUID().uuidString.prefix(8).lowercased())" }

    /// The URL (`base`, or the test Redis) with `prefix` and `pool`.
    static func url(base: String? = url, prefix: String, poolSize: Int = 4) throws -> RedisURL {
        guard let base else { throw JobStoreError.invalidConfiguration("no test Redis") }
        return try RedisURL(TLSFixture.adding("prefix=\(prefix)&pool=\(poolSize)", to: base))
    }

    /// A running store on `prefix` (a fresh one by default); it stays up for the rest of the
    /// test process. `base` is another server's URL (the TLS one).
    static func makeStore(base: String? = url, prefix: String? = nil, clock: StoreClock = StoreClock()) throws
        -> RedisJobStore
    {
        let store = RedisJobStore(
            url: try url(base: base, prefix: prefix ?? self.prefix()), logger: Logger(label: "test"),
            clock: clock)
        Task { try await store.run() }
        return store
    }
}

@Suite struct RedisAvailabilityTests {
    /// Reports, as a skip with its reason, when the Redis backend cannot be tested here.
    @Test(.enabled(if: RedisFixture.url != nil, RedisFixture.skipReason))
    func redisIsReachable() async throws {
        try await Backend.untilReady(try RedisFixture.makeStore())
    }
}
