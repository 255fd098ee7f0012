/// The result of a load test, for people (`description`) and machines (`Codable`, `--json`).
public struct LoadTestSummary: Codable, Sendable, CustomStringConvertible {
    /// Latency percentiles in milliseconds.
    public struct Latency: Codable, Sendable {
        public var count: UInt64
        public var min: Double
        public var p50: Double
        public var p90: Double
        public var p95: Double
        public var p99: Double
        public var max: Double
        public var mean: Double
    }

    /// One second of the run.
    public struct Second: Codable, Sendable {
        public var second: Int
        public var launched: Int
        public var finished: Int
        public var requests: Int
        public var p50: Double
        public var p99: Double
    }

    public var mode: String
    public var target: String
    public var durationSeconds: Double
    public var launched: Int
    public var finished: Int
    public var dropped: Int
    public var jobsPerSecond: Double
    public var endToEnd: Latency
    public var requestLatency: [String: Latency]
    public var requests: Int
    public var requestsPerJob: Double
    public var statusCodes: [String: Int]
    public var errors: [String: Int]
    public var timeline: [Second]

    public var description: String {
        func row(_ name: String, _ latency: Latency) -> String {
            let figures = [latency.min, latency.p50, latency.p90, latency.p95, latency.p99, latency.max]
                .map { formatted($0).leftPadded(9) }.joined()
            return name.rightPadded(18) + figures + "   (\(latency.count))"
        }
        var lines = [
            "mode \(mode), target \(target), \(formatted(durationSeconds)) s",
            "jobs: \(launched) launched, \(finished) finished, \(dropped) dropped; \(formatted(jobsPerSecond)) finished/s",
            "requests: \(requests), \(formatted(requestsPerJob)) per job",
            "latency (ms)            min      p50      p90      p95      p99      max",
            row("end to end", endToEnd),
        ]
        for (name, latency) in requestLatency.sorted(by: { $0.key < $1.key }) {
            lines.append(row(name, latency))
        }
        lines.append(
            "status codes: "
                + statusCodes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: " "))
        lines.append(
            "errors: "
                + (errors.isEmpty
                    ? "none"
                    : errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        )
        return lines.joined(separator: "\n")
    }
}

func formatted(_ value: Double) -> String {
    value >= 100 ? String(Int(value.rounded())) : String((value * 100).rounded() / 100)
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
    func rightPadded(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
