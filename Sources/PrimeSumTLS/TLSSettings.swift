import Foundation
import NIOSSL

/// How a client connection (to a store, or to the API) uses TLS, in libpq's words, so that one
/// vocabulary configures every store: `sslmode`, `sslrootcert`, `sslcert` and `sslkey` in the
/// store's URL.
public struct TLSSettings: Sendable, Equatable {
    /// libpq's `sslmode`, without `allow` (plain text first, TLS if refused), which no store
    /// here can do.
    public enum Mode: String, Sendable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS when the server offers it (PostgreSQL asks first), its certificate not checked.
        case prefer
        /// TLS or no connection; the certificate is not checked unless `sslrootcert` is given,
        /// which makes it `verify-ca` (as libpq does).
        case require
        /// TLS, and the server's certificate signed by a trusted CA, whatever host it names.
        case verifyCA = "verify-ca"
        /// TLS, and the certificate signed by a trusted CA and naming the host connected to.
        case verifyFull = "verify-full"
    }

    public var mode: Mode
    /// A PEM file of the CAs to trust instead of the system's trust store.
    public var rootCertificateFile: String?
    /// A PEM certificate (or chain) and its key that this client presents, for servers that
    /// authenticate clients by certificate.
    public var certificateFile: String?
    public var keyFile: String?

    /// The URL query parameters these settings are read from.
    public static let parameters: Set<String> = ["sslmode", "sslrootcert", "sslcert", "sslkey"]

    public init(
        mode: Mode, rootCertificateFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil
    ) {
        self.mode = mode
        self.rootCertificateFile = rootCertificateFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }

    /// The settings in a URL's query; `defaultMode` when `sslmode` is absent, and only `modes`
    /// accepted (a store that speaks only TLS has no `prefer`).
    public init(
        query: [String: String], defaultMode: Mode, modes: [Mode] = Mode.allCases
    ) throws(TLSSettingsError) {
        let named = query["sslmode"].map { $0.isEmpty ? defaultMode.rawValue : $0 } ?? defaultMode.rawValue
        guard let mode = Mode(rawValue: named), modes.contains(mode) else {
            throw .invalidSetting(
                "sslmode must be one of \(modes.map(\.rawValue).joined(separator: ", ")), not '\(named)'")
        }
        self.init(
            mode: mode, rootCertificateFile: query["sslrootcert"].flatMap { $0.isEmpty ? nil : $0 },
            certificateFile: query["sslcert"].flatMap { $0.isEmpty ? nil : $0 },
            keyFile: query["sslkey"].flatMap { $0.isEmpty ? nil : $0 })
        if (certificateFile == nil) != (keyFile == nil) {
            throw .invalidSetting("sslcert and sslkey go together: a client certificate needs its key")
        }
        if mode == .disable && (rootCertificateFile ?? certificateFile) != nil {
            throw .invalidSetting("sslrootcert, sslcert and sslkey need TLS, and sslmode is disable")
        }
    }

    /// Whether the server's certificate is checked against the trusted CAs.
    public var verifiesCertificate: Bool {
        switch mode {
        case .disable, .prefer: false
        case .require: rootCertificateFile != nil
        case .verifyCA, .verifyFull: true
        }
    }

    /// NIOSSL's client configuration for these settings, its files read now (a missing or
    /// unreadable one is an error naming it); nil for `disable`.
    public func clientConfiguration() throws(TLSSettingsError) -> TLSConfiguration? {
        guard mode != .disable else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification =
            mode == .verifyFull ? .fullVerification : verifiesCertificate ? .noHostnameVerification : .none
        if let file = rootCertificateFile {
            configuration.trustRoots = .certificates(try Self.certificates(in: file, as: "sslrootcert"))
        }
        if let certificateFile, let keyFile {
            configuration.certificateChain = try Self.certificates(in: certificateFile, as: "sslcert").map {
                .certificate($0)
            }
            try Self.checkReadable(keyFile, as: "sslkey")
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                throw .unreadableFile(setting: "sslkey", path: keyFile, reason: "not a PEM private key")
            }
        }
        return configuration
    }

    /// Why a connection failed, in an operator's words, when TLS is the reason: the server's
    /// certificate not trusted or naming another host, a server that does not speak TLS, or
    /// one that refused this client's certificate. Nil when the failure is not TLS's.
    /// `host` is the host connected to.
    public func explain(_ error: any Error, host: String) -> String? {
        let trusted = rootCertificateFile.map { "a CA in \($0)" } ?? "a CA of the system's trust store"
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return "the server's certificate does not name \(host) (sslmode=verify-full checks it)"
        }
        // A TLS 1.3 server refuses a client's certificate after the client's handshake has
        // ended: that alert arrives as a BoringSSL error on the next read.
        guard error is NIOSSLError || error is BoringSSLError else { return nil }
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return
                "the server's certificate is not trusted: it is not signed by \(trusted), or it has expired"
                + " or is not yet valid"
        }
        if ["WRONG_VERSION_NUMBER", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG", "RECORD_LENGTH_MISMATCH"]
            .contains(
                where: text.contains)
        {
            return "the server does not speak TLS on this port"
        }
        if text.contains("CERTIFICATE_REQUIRED") || text.contains("HANDSHAKE_FAILURE_ON_CLIENT_HELLO") {
            return "the server asks for a client certificate (sslcert and sslkey)"
        }
        if text.contains("ALERT_UNKNOWN_CA") || text.contains("ALERT_BAD_CERTIFICATE")
            || text.contains("ALERT_CERTIFICATE")
        {
            return "the server refused this client's certificate"
        }
        switch error as? NIOSSLError {
        case .handshakeFailed, .uncleanShutdown: return "the TLS handshake failed: \(text)"
        default: return nil
        }
    }

    private static func checkReadable(_ path: String, as setting: String) throws(TLSSettingsError) {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .unreadableFile(
                setting: setting, path: path,
                reason: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")
        }
    }

    private static func certificates(in path: String, as setting: String) throws(TLSSettingsError)
        -> [NIOSSLCertificate]
    {
        try checkReadable(path, as: setting)
        let certificates = try? NIOSSLCertificate.fromPEMFile(path)
        guard let certificates, !certificates.isEmpty else {
            throw .unreadableFile(setting: setting, path: path, reason: "no PEM certificate in it")
        }
        return certificates
    }
}
