import PrimeSumCouchDB
import PrimeSumJobs
import PrimeSumPostgres
import PrimeSumRedisClient
import PrimeSumTLS
import Testing

@Suite struct TLSSettingsTests {
    @Test func postgresTakesLibpqsModesAndPrefersTLSByDefault() throws {
        #expect(try PostgresStoreURL("postgres://u:p@h/db").tls.mode == .prefer)
        let url = try PostgresStoreURL(
            "postgres://u:p@h/db?sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.pem&sslkey=/c.key")
        #expect(
            url.tls
                == TLSSettings(
                    mode: .verifyFull, rootCertificateFile: "/ca.pem", certificateFile: "/c.pem",
                    keyFile: "/c.key"))
        for mode in ["disable", "prefer", "require", "verify-ca", "verify-full"] {
            #expect(try PostgresStoreURL("postgres://h/db?sslmode=\(mode)").tls.mode.rawValue == mode)
        }
    }

    /// libpq: `require` with a root certificate file checks the chain, as `verify-ca` does.
    @Test func requireChecksTheCertificateOnlyWithARootFile() {
        #expect(!TLSSettings(mode: .require).verifiesCertificate)
        #expect(TLSSettings(mode: .require, rootCertificateFile: "/ca.pem").verifiesCertificate)
        #expect(!TLSSettings(mode: .prefer).verifiesCertificate)
        #expect(TLSSettings(mode: .verifyCA).verifiesCertificate)
    }

    @Test(arguments: [
        (
            "postgres://h/db?sslmode=allow",
            "sslmode must be one of disable, prefer, require, verify-ca, verify-full"
        ),
        ("postgres://h/db?sslmode=verify_full", "not 'verify_full'"),
        ("postgres://h/db?sslcert=/c.pem", "sslcert and sslkey go together"),
        ("postgres://h/db?sslmode=disable&sslrootcert=/ca.pem", "need TLS, and sslmode is disable"),
        ("postgres://h/db?sslrootcrt=/ca.pem", "unknown parameter 'sslrootcrt'"),
    ])
    func unusablePostgresSettingsAreRefusedWithTheReason(_ url: String, _ reason: String) {
        #expect {
            try PostgresStoreURL(url)
        } throws: { error in
            guard case .invalidConfiguration(let text) = error as? JobStoreError else { return false }
            return text.contains(reason)
        }
    }

    @Test func redissVerifiesTheServerByDefaultAndRedisRefusesTLSSettings() throws {
        #expect(try RedisURL("redis://h:6379").tls == nil)
        #expect(try RedisURL("rediss://h:6379").tls == TLSSettings(mode: .verifyFull))
        #expect(try RedisURL("rediss://h:6379?sslmode=verify-ca&sslrootcert=/ca.pem").tls?.mode == .verifyCA)
        #expect(throws: RedisClientError.invalidURL("sslrootcert needs TLS: use rediss://")) {
            try RedisURL("redis://h:6379?sslrootcert=/ca.pem")
        }
        #expect(
            throws: RedisClientError.invalidURL(
                "sslmode must be one of require, verify-ca, verify-full, not 'prefer'")
        ) {
            try RedisURL("rediss://h:6379?sslmode=prefer")
        }
        #expect(throws: RedisClientError.self) { try RedisURL("redis://h:6379?tls=yes") }
    }

    @Test func httpsVerifiesCouchDBByDefaultAndPlainHTTPRefusesTLSSettings() throws {
        #expect(try CouchDBStoreURL("couchdb://h/db").tls == nil)
        #expect(try CouchDBStoreURL("https://h:6984/db").tls == TLSSettings(mode: .verifyFull))
        #expect(throws: JobStoreError.invalidConfiguration("sslrootcert needs TLS: use https://")) {
            try CouchDBStoreURL("couchdb://h/db?sslrootcert=/ca.pem")
        }
    }

    @Test func aFileThatCannotBeReadIsNamed() {
        #expect(
            throws: TLSSettingsError.unreadableFile(
                setting: "sslrootcert", path: "/no/ca.pem", reason: "no such file")
        ) {
            try TLSSettings(mode: .verifyFull, rootCertificateFile: "/no/ca.pem").clientConfiguration()
        }
        #expect(
            throws: TLSSettingsError.unreadableFile(
                setting: "sslcert", path: "/etc/hostname", reason: "no PEM certificate in it")
        ) {
            try TLSSettings(mode: .require, certificateFile: "/etc/hostname", keyFile: "/etc/hostname")
                .clientConfiguration()
        }
        #expect(throws: JobStoreError.invalidConfiguration("sslrootcert /no/ca.pem: no such file")) {
            try PostgresJobStore(
                url: try PostgresStoreURL("postgres://h/db?sslmode=verify-ca&sslrootcert=/no/ca.pem"),
                logger: .init(label: "t"))
        }
    }
}
