import Histogram
import PrimeSum
import Synchronization

/// Collects what the simulated clients see: latencies in HdrHistograms, status codes, errors by
/// kind, and a per-second timeline; safe to call from every job's task.
final class LoadTestRecorder: Sendable {
    private struct State {
        var endToEnd = LoadTestRecorder.histogram()
        var requestLatency: [String: Histogram<UInt64>] = [:]
        var statusCodes: [String: Int] = [:]
        var errors: [String: Int] = [:]
        var launched = 0
        var finished = 0
        var dropped = 0
        var requests = 0
        var seconds: [Int: (launched: Int, finished: Int, requests: Int, latency: Histogram<UInt64>)] = [:]
    }
    private let state = Mutex(State())
    private let started = ContinuousClock.now
    private let stopped = Mutex<ContinuousClock.Instant?>(nil)
    private let running = Atomic<Int>(0)

    /// Jobs launched and not yet ended.
    var inFlight: Int { running.load(ordering: .relaxed) }

    /// A job ended, however it ended.
    func ended() { running.subtract(1, ordering: .relaxed) }

    static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Seconds from the start to now, or to `stop()` once the run is over.
    var elapsedSeconds: Double { ((stopped.withLock { $0 } ?? ContinuousClock.now) - started).seconds }

    /// Ends the measured run: rates are per second of the run, not of the checks after it.
    func stop() { stopped.withLock { $0 = $0 ?? ContinuousClock.now } }
    private var second: Int { Int(elapsedSeconds) }

    func launched() {
        running.add(1, ordering: .relaxed)
        let second = second
        state.withLock {
            $0.launched += 1
            $0.seconds[second, default: (0, 0, 0, Self.histogram())].launched += 1
        }
    }

    func dropped() { state.withLock { $0.dropped += 1 } }

    func request(_ method: String, status: Int?, latency: Duration) {
        let second = second
        state.withLock {
            $0.requests += 1
            $0.seconds[second, default: (0, 0, 0, Self.histogram())].requests += 1
            $0.statusCodes[status.map { "\($0)" } ?? "none", default: 0] += 1
            _ = $0.requestLatency[method, default: Self.histogram()].record(latency.microseconds)
        }
    }

    func finished(after latency: Duration) {
        let second = second
        state.withLock {
            $0.finished += 1
            _ = $0.endToEnd.record(latency.microseconds)
            $0.seconds[second, default: (0, 0, 0, Self.histogram())].finished += 1
            _ = $0.seconds[second]!.latency.record(latency.microseconds)
        }
    }

    func failed(_ kind: String) { state.withLock { $0.errors[kind, default: 0] += 1 } }

    /// A job counted as finished turned out to have the wrong sum.
    func wrongSum() {
        state.withLock {
            $0.finished -= 1
            $0.errors["wrong_sum", default: 0] += 1
        }
    }

    /// One line for the live display.
    func liveLine() -> String {
        state.withLock { state in
            let codes = state.statusCodes.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(
                separator: " ")
            let perSecond = Double(state.requests) / max(elapsedSeconds, 0.001)
            return
                "\(Int(elapsedSeconds))s launched \(state.launched) finished \(state.finished) in flight \(self.inFlight) "
                + "requests/s \(Int(perSecond)) codes \(codes) errors \(state.errors.values.reduce(0, +))"
        }
    }

    func summary(plan: LoadTestPlan) -> LoadTestSummary {
        state.withLock { state in
            let duration = elapsedSeconds
            return LoadTestSummary(
                mode: plan.mode.rawValue, target: plan.target, durationSeconds: duration,
                launched: state.launched,
                finished: state.finished, dropped: state.dropped,
                jobsPerSecond: Double(state.finished) / max(duration, 0.001),
                endToEnd: Self.latency(state.endToEnd),
                requestLatency: state.requestLatency.mapValues(Self.latency),
                requests: state.requests,
                requestsPerJob: Double(state.requests) / Double(max(state.launched, 1)),
                statusCodes: state.statusCodes, errors: state.errors,
                timeline: state.seconds.keys.sorted().map { second in
                    let bucket = state.seconds[second]!
                    return LoadTestSummary.Second(
                        second: second, launched: bucket.launched, finished: bucket.finished,
                        requests: bucket.requests,
                        p50: Double(bucket.latency.valueAtPercentile(50)) / 1000,
                        p99: Double(bucket.latency.valueAtPercentile(99)) / 1000)
                })
        }
    }

    private static func latency(_ histogram: Histogram<UInt64>) -> LoadTestSummary.Latency {
        func ms(_ value: UInt64) -> Double { Double(value) / 1000 }
        return LoadTestSummary.Latency(
            count: histogram.totalCount, min: ms(histogram.totalCount == 0 ? 0 : histogram.min),
            p50: ms(histogram.valueAtPercentile(50)), p90: ms(histogram.valueAtPercentile(90)),
            p95: ms(histogram.valueAtPercentile(95)), p99: ms(histogram.valueAtPercentile(99)),
            max: ms(histogram.max), mean: histogram.totalCount == 0 ? 0 : histogram.mean / 1000)
    }
}

extension Duration {
    var microseconds: UInt64 { UInt64(max(0, seconds * 1_000_000)) }
}
