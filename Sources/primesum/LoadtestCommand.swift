import ArgumentParser
import Foundation
import PrimeSum
import PrimeSumLoadTest

/// `primesum loadtest`: the seed's scale test as a product feature.
struct LoadtestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Open-loop load on a primesum server: submit jobs at a rate and follow each to its result.",
        discussion: """
            Every arrival POSTs a range and follows its job the --mode way; sums are checked against \
            the local engine unless --no-verify. The run is bounded by --duration and each job by \
            --job-timeout. A target that is not loopback (an ingress, a LoadBalancer) must be given \
            --rate and --duration explicitly, and takes no --find-max: no unbounded run against a \
            shared cluster.
            """
    )

    @Option(help: "The server (or balancer): http:// or https://.") var target = "http://127.0.0.1:8080"
    @Option(
        help:
            "PEM file of the CAs an https:// target's certificate is checked against, instead of the system's (env PRIMESUM_CA_FILE)."
    )
    var caFile: String?
    @Option(help: "CSV of a,b rows to submit in turn (the seed's workload file works as is).") var payload:
        String?
    @Option(
        help:
            "Generated ranges when no --payload, each distinct so none is answered from a finished result: tiny (1,000 wide, below 1e11), small (seed-like), mixed."
    ) var sizes = LoadTestPayload.Sizes.tiny
    @Option(help: "Arrivals per second (default 10; required for a target that is not loopback).")
    var rate: Double?
    @Option(help: "Raise the rate linearly to this by the end.") var rampTo: Double?
    @Option(
        help: "Seconds of arrivals, at most 3600 (default 30; required for a target that is not loopback).")
    var duration: Double?
    @Option(help: "poll, retry-after, long-poll or prefer-wait.") var mode = LoadTestPlan.Mode.longPoll
    @Option(help: "Think time between polls in poll mode, seconds.") var think = 5.0
    @Option(help: "Seconds one long-poll may wait.") var longPoll = 30
    @Option(help: "A job not finished after this many seconds is a timeout.") var jobTimeout = 120.0
    @Option(help: "Write the summary as JSON to this file.") var json: String?
    @Option(help: "Write a self-contained HTML report (charts over time, summary) to this file.") var report:
        String?
    @Option(help: "API key, when the server has auth on (env PRIMESUM_API_KEY).") var apiKey: String?
    @Flag(help: "Do not check the sums against the local engine.") var noVerify = false
    @Flag(
        help:
            "Step the rate up from --rate (x1.5 per --duration step) and report the highest rate whose jobs all finish with p99 under --p99-bound."
    )
    var findMax = false
    @Option(help: "The p99 end-to-end bound for --find-max, milliseconds.") var p99Bound = 20.0

    /// The rate and the length of the run, given or by default.
    private var arrivals: Double { rate ?? 10 }
    private var seconds: Double { duration ?? 30 }

    func validate() throws {
        guard arrivals > 0, arrivals <= 100_000, (rampTo ?? 1) > 0 else {
            throw ValidationError("--rate must be in (0, 100000]")
        }
        guard seconds > 0, seconds <= 3_600 else {
            throw ValidationError("--duration must be in (0, 3600] seconds")
        }
        guard let url = URL(string: target), let host = url.host, ["http", "https"].contains(url.scheme)
        else {
            throw ValidationError("--target must be http://HOST:PORT or https://HOST:PORT")
        }
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) || host.hasPrefix("127.")
        if !loopback {
            guard rate != nil, duration != nil else {
                throw ValidationError(
                    "--target \(host) is not loopback: give --rate and --duration, which bound the run")
            }
            guard !findMax else {
                throw ValidationError("--find-max raises the rate without a bound: loopback targets only")
            }
        }
    }

    func run() async throws {
        if findMax { return try await searchMaximumRate() }
        let runner = LoadTestRunner(plan: try plan(rate: arrivals, rampTo: rampTo)) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let summary = try await runner.run()
        print(summary)
        if let report { try Data(LoadTestReport.html(summary).utf8).write(to: URL(fileURLWithPath: report)) }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(summary).write(to: URL(fileURLWithPath: json))
        }
        if !summary.errors.isEmpty { throw ExitCode.failure }
    }

    /// The plan the options describe, at `rate` (rising to `rampTo`).
    private func plan(rate: Double, rampTo: Double?) throws -> LoadTestPlan {
        LoadTestPlan(
            target: target, payload: try ranges(), rate: rate, rampTo: rampTo, durationSeconds: seconds,
            mode: mode,
            thinkSeconds: think, longPollSeconds: longPoll, jobTimeoutSeconds: jobTimeout, verify: !noVerify,
            apiKey: apiKey ?? ProcessInfo.processInfo.environment["PRIMESUM_API_KEY"],
            caFile: caFile ?? ProcessInfo.processInfo.environment["PRIMESUM_CA_FILE"])
    }

    /// Runs steps of rising rate until one fails the bound; prints each step and the best rate.
    private func searchMaximumRate() async throws {
        var stepRate = arrivals
        var best: Double?
        for _ in 0..<20 {
            let summary = try await LoadTestRunner(plan: try plan(rate: stepRate, rampTo: nil)).run()
            let passed =
                summary.errors.isEmpty && summary.dropped == 0 && summary.finished == summary.launched
                && summary.endToEnd.p99 <= p99Bound
            print(
                "rate \(formattedRate(stepRate))/s: \(summary.finished)/\(summary.launched) finished, p99 "
                    + "\(formattedRate(summary.endToEnd.p99)) ms, errors \(summary.errors.values.reduce(0, +)) -> \(passed ? "pass" : "fail")"
            )
            guard passed else { break }
            best = stepRate
            stepRate *= 1.5
        }
        print(
            best.map {
                "highest rate with every job finished and p99 <= \(formattedRate(p99Bound)) ms: \(formattedRate($0))/s"
            }
                ?? "no rate passed: even \(formattedRate(arrivals))/s missed the bound")
        if best == nil { throw ExitCode.failure }
    }

    private func formattedRate(_ value: Double) -> String { String(format: "%.1f", value) }

    private func ranges() throws -> @Sendable (Int) -> PrimeRange {
        guard let payload else { return LoadTestPayload.generated(sizes) }
        do { return try LoadTestPayload.csv(contentsOf: payload) } catch { throw ValidationError("\(error)") }
    }
}

extension LoadTestPlan.Mode: ExpressibleByArgument {}
extension LoadTestPayload.Sizes: ExpressibleByArgument {}
