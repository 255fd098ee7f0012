import Testing

@testable import PrimeSumRedisClient

@Suite struct RedisURLTests {
    @Test func defaultsAndEveryPart() throws {
        let plain = try RedisURL("redis://localhost")
        #expect(plain.port == 6379 && plain.database == 0 && plain.password == nil && plain.poolSize == 4)
        #expect(plain.prefix == "primesum" && plain.handshake.isEmpty)
        let full = try RedisURL("redis://app:p%40ss@10.0.0.5:6380/3?pool=8&prefix=blue")
        #expect(full.host == "10.0.0.5" && full.port == 6380 && full.database == 3 && full.poolSize == 8)
        #expect(full.username == "app" && full.password == "p@ss" && full.prefix == "blue")
        #expect(full.handshake == [RESPCommand("AUTH", "app", "p@ss"), RESPCommand("SELECT", "3")])
        #expect(try RedisURL("redis://:secret@h").handshake == [RESPCommand("AUTH", "secret")])
    }

    @Test(arguments: [
        "redis://", "http://h:6379", "redis://h/x", "redis://h?pool=0",
        "redis://h?pool=99",
        "redis://h?prefix=a:b",
    ])
    func unusableURLsAreRefused(_ text: String) {
        #expect(throws: RedisClientError.self) { try RedisURL(text) }
    }

    @Test func anUnknownParameterIsRefusedNotIgnored() {
        #expect(
            throws: RedisClientError.invalidURL(
                "unknown parameter 'tls' (known: pool, prefix, sslcert, sslkey, sslmode, sslrootcert)")
        ) {
            try RedisURL("redis://h:6379?tls=yes")
        }
    }
}
