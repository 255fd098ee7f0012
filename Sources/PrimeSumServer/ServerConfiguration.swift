import Foundation

/// The settings of `primesum serve` (DESIGN.md "Processes and configuration").
public struct ServerConfiguration: Sendable {
    /// Which parts of the service this process runs.
    public enum Role: String, Sendable, CaseIterable { case api, worker, all }

    public var host = "127.0.0.1"
    public var port = 8080
    public var storeURL = "sqlite:./primesum.sqlite"
    public var role = Role.all
    /// Workers in this process (default: the cores).
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// QUEUED jobs beyond which submits answer 503.
    public var queueCapacity = 10_000
    /// How long a finished result stays readable (the seed's 600 s).
    public var resultsTTL = Duration.seconds(600)
    /// Submits whose estimate passes these answer 422.
    public var maxJobSeconds = 300.0
    public var maxJobMemoryBytes: UInt64 = 2 << 30
    /// The longest `?wait=` or `Prefer: wait` a request may ask for.
    public var maxWaitSeconds = 60
    public var maxBodyBytes = 4096
    public var leaseDuration = Duration.seconds(15)
    public var maxAttempts = 3
    public var cleanerInterval = Duration.seconds(5)
    public var drainTimeout = Duration.seconds(20)

    public init() {}
}
