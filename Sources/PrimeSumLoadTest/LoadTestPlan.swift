import PrimeSum

/// What `primesum loadtest` runs: open-loop arrivals of jobs at a rate, each job followed the
/// way `mode` says until it is terminal.
public struct LoadTestPlan: Sendable {
    /// How a simulated client waits for its result.
    public enum Mode: String, Sendable, CaseIterable, Codable {
        /// The seed's flow: POST, then {think; GET} until FINISHED.
        case poll
        /// Like poll, but sleeping what the server's Retry-After says.
        case retryAfter = "retry-after"
        /// GET ?wait=N until terminal.
        case longPoll = "long-poll"
        /// POST with `Prefer: wait=N`, then long-poll if still running.
        case preferWait = "prefer-wait"
    }

    public var target: String
    /// The range the n-th arrival submits.
    public var payload: @Sendable (Int) -> PrimeRange
    /// Arrivals per second at the start, and at the end (a linear ramp).
    public var rate: Double
    public var rampTo: Double?
    public var durationSeconds: Double
    public var mode: Mode
    public var thinkSeconds: Double
    public var longPollSeconds: Int
    /// A job not terminal after this long counts as a timeout.
    public var jobTimeoutSeconds: Double
    public var verify: Bool
    /// Arrivals beyond this many unfinished jobs are dropped (and counted), bounding memory.
    public var maxInFlight: Int
    public var apiKey: String?
    /// For an `https://` target: a PEM file of the CAs its certificate is checked against,
    /// instead of the system's trust store.
    public var caFile: String?

    public init(
        target: String, payload: @escaping @Sendable (Int) -> PrimeRange, rate: Double, rampTo: Double? = nil,
        durationSeconds: Double,
        mode: Mode, thinkSeconds: Double = 5, longPollSeconds: Int = 30, jobTimeoutSeconds: Double = 120,
        verify: Bool = true, maxInFlight: Int = 20_000, apiKey: String? = nil, caFile: String? = nil
    ) {
        self.target = target
        self.payload = payload
        self.rate = rate
        self.rampTo = rampTo
        self.durationSeconds = durationSeconds
        self.mode = mode
        self.thinkSeconds = thinkSeconds
        self.longPollSeconds = longPollSeconds
        self.jobTimeoutSeconds = jobTimeoutSeconds
        self.verify = verify
        self.maxInFlight = maxInFlight
        self.apiKey = apiKey
        self.caFile = caFile
    }

    /// The arrival rate `elapsed` seconds into the run.
    func rate(at elapsed: Double) -> Double {
        guard let rampTo, durationSeconds > 0 else { return rate }
        return rate + (rampTo - rate) * min(1, elapsed / durationSeconds)
    }
}
