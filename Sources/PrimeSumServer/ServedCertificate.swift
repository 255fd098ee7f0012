import Foundation
import Logging
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The API's certificate and key for HTTPS (`http.tls.certificate`, `http.tls.key`): read at
/// start, and read again on SIGHUP and whenever the files change (looked at every `interval`:
/// cert-manager rewrites a mounted Secret's files in place). Each new connection's handshake
/// takes the latest pair that loaded (NIOSSL's per-handshake context callback); a pair that
/// fails to load is logged and the one before kept, so a half-written rotation never stops the
/// API. Connections already open keep the certificate they began with.
public final class ServedCertificate: Service, Sendable {
    private struct Pair: Sendable {
        var chain: [NIOSSLCertificateSource]
        var key: NIOSSLPrivateKeySource
        /// The files' bytes, to tell a change.
        var contents: Data
    }

    private let certificateFile: String
    private let keyFile: String
    private let interval: Duration
    private let logger: Logger
    private let current: Mutex<Pair>

    /// Throws `ServerConfiguration.Invalid`, naming the file, when the pair cannot be loaded.
    public init(certificateFile: String, keyFile: String, interval: Duration = .seconds(10), logger: Logger)
        throws
    {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.interval = interval
        self.logger = logger
        current = Mutex(try Self.load(certificateFile: certificateFile, keyFile: keyFile))
    }

    /// The server's TLS configuration: the pair loaded at start, replaced per handshake by the
    /// latest one.
    public func configuration() -> TLSConfiguration {
        let pair = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: pair.chain, privateKey: pair.key)
        configuration.sslContextCallback = { [self] _, promise in
            var override = NIOSSLContextConfigurationOverride()
            current.withLock { pair in
                override.certificateChain = pair.chain
                override.privateKey = pair.key
            }
            promise.succeed(override)
        }
        return configuration
    }

    /// The first certificate served now (for tests and logs).
    public var certificate: NIOSSLCertificate? {
        current.withLock { pair in
            guard case .certificate(let first) = pair.chain.first else { return nil }
            return first
        }
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
                    self.reload(because: "SIGHUP")
                }
            }
            group.addTask {
                while !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: self.interval)
                    self.reload(because: nil)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }

    /// Loads the files again if they changed (or when `reason` asks for it anyway).
    public func reload(because reason: String?) {
        do {
            let pair = try Self.load(certificateFile: certificateFile, keyFile: keyFile)
            let changed = current.withLock { current -> Bool in
                guard current.contents != pair.contents else { return false }
                current = pair
                return true
            }
            if changed || reason != nil {
                logger.info(
                    changed ? "the API's certificate was reloaded" : "the API's certificate is unchanged",
                    metadata: ["file": "\(certificateFile)", "reason": "\(reason ?? "the files changed")"])
            }
        } catch {
            logger.error(
                "the API's certificate could not be reloaded; the previous one is kept",
                metadata: ["error": "\(error)"])
        }
    }

    private static func load(certificateFile: String, keyFile: String) throws -> Pair {
        func read(_ path: String, _ setting: String) throws -> Data {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ServerConfiguration.Invalid(description: "\(setting) \(path) cannot be read")
            }
            return data
        }
        let certificateData = try read(certificateFile, "http.tls.certificate")
        let keyData = try read(keyFile, "http.tls.key")
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateData))
        } catch {
            throw ServerConfiguration.Invalid(
                description: "http.tls.certificate \(certificateFile) holds no PEM certificate")
        }
        do {
            key = try NIOSSLPrivateKey(bytes: Array(keyData), format: .pem)
        } catch {
            throw ServerConfiguration.Invalid(description: "http.tls.key \(keyFile) holds no PEM private key")
        }
        guard !chain.isEmpty else {
            throw ServerConfiguration.Invalid(
                description: "http.tls.certificate \(certificateFile) holds no PEM certificate")
        }
        return Pair(
            chain: chain.map { .certificate($0) }, key: .privateKey(key), contents: certificateData + keyData)
    }
}
