import ArgumentParser
import Foundation
import PrimeSum

/// `primesum bench`: times the engine on fixed cases against references, for BENCHMARKS.md.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the engine (build with -c release).",
        discussion: """
            Prints one row per case: the method, threads, seconds, the cost model's estimate, and \
            the ratio to a reference: primesieve's single-thread count of the same range for the \
            sieve, the seed's trial division for the baseline row.

            With --compare PATH, times instead the prefix method's S(N) for N = 1e11 ... 1e16 (see \
            --compare-up-to) side by side with another program that prints the sum of the primes \
            <= N on its first line when run as `PATH N --threads=T` (kimwalisch/primesum does): \
            both run as child processes, timed from spawn to exit, their peak memory read from \
            the kernel, best of --repeat runs taken in alternation, and their sums compared.
            """
    )

    @Option(help: "Threads for the multi-threaded rows (default: all cores).")
    var threads: Int?

    @Flag(help: "Skip the slow rows (S(1e14) ... S(1e16) and the trial-division baseline).")
    var quick = false

    @Option(help: "Also check every row of this oracle file (a, b, sum; tab-separated) and time it.")
    var oracles: String?

    @Option(help: "Compare S(N) with this program, run as `PATH N --threads=T` (see above).")
    var compare: String?

    @Option(help: "With --compare: the largest N, as a power of ten (11...19).")
    var compareUpTo = 16

    @Option(help: "With --compare: runs of each program per N; the best counts.")
    var `repeat` = 2

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if !(11...19).contains(compareUpTo) { throw ValidationError("--compare-up-to must be 11 ... 19") }
        if `repeat` < 1 { throw ValidationError("--repeat must be at least 1") }
        if let compare, !FileManager.default.isExecutableFile(atPath: compare) {
            throw ValidationError("--compare: \(compare) is not an executable file")
        }
    }

    func run() async throws {
        let all = PrimeSumEngine(threads: threads).threads
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, engine threads: \(all)")
        if let compare { return try sideBySide(with: compare, threads: all) }
        print(Row.header)
        let cases: [(String, PrimeRange)] = try [
            ("[0, 1e9)", PrimeRange(a: 0, b: 1_000_000_000)),
            ("[1e12, 1e12+1e9)", PrimeRange(a: 1_000_000_000_000, b: 1_001_000_000_000)),
            ("[1e18, 1e18+1e7)", PrimeRange(a: 1_000_000_000_000_000_000, b: 1_000_000_000_010_000_000)),
            ("[2^64-1e8, 2^64-1)", PrimeRange(a: UInt64.max - 100_000_000, b: UInt64.max)),
        ]
        for (name, range) in cases {
            let reference = measure { _ = ReferenceCount.countPrimes(in: range, threads: 1) }
            print(Row(name: name, method: "primesieve count", threads: 1, seconds: reference))
            for threadCount in Set([1, all]).sorted() {
                let seconds = try await time(range, .sieve, threads: threadCount)
                print(
                    Row(
                        name: name, method: "sieve", threads: threadCount, seconds: seconds,
                        estimate: estimate(range, .sieve, threadCount), ratio: seconds / reference))
            }
        }
        for exponent in quick ? Array(11...13) : Array(11...16) {
            let range = try PrimeRange(a: 0, b: UInt64(pow(10.0, Double(exponent))) + 1)
            let seconds = try await time(range, .prefix, threads: all)
            print(
                Row(
                    name: "S(1e\(exponent))", method: "prefix", threads: all, seconds: seconds,
                    estimate: estimate(range, .prefix, all)))
        }
        let seed = try PrimeRange(a: 1, b: 6_000_000)
        if !quick {
            let baseline = measure { _ = TrialDivision.sum(seed) }
            print(Row(name: "[1, 6e6)", method: "seed trial division", threads: 1, seconds: baseline))
            let seconds = try await time(seed, .auto, threads: all)
            print(
                Row(
                    name: "[1, 6e6)", method: "auto", threads: all, seconds: seconds,
                    estimate: estimate(seed, .auto, all), ratio: seconds / baseline))
        }
        if let oracles { try await checkOracles(path: oracles, threads: all) }
    }

    /// S(N) by this binary's prefix method and by `other`, N = 1e11 ... 1e(compareUpTo).
    private func sideBySide(with other: String, threads: Int) throws {
        let ours = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        print("S(N), the sum of the primes <= N: \(ours) (prefix) against \(other); best of \(`repeat`)")
        // The memory bound is issue 29's: at most theirs + 20 MB.
        print("N       ours s   theirs s   ratio  ours MB  theirs MB  theirs + 20 MB  sums")
        var mismatches = 0
        for exponent in 11...compareUpTo {
            let n = (0..<exponent).reduce(UInt128(1)) { value, _ in value * 10 }
            let bound = n + 1 > UInt128(UInt64.max) ? "\(UInt64.max)" : "\(n + 1)"
            var best: (ours: MeasuredRun?, theirs: MeasuredRun?) = (nil, nil)
            for _ in 0..<`repeat` {
                let mine = try MeasuredRun.run(
                    ours, ["sum", "0", bound, "--method", "prefix", "--threads", "\(threads)"])
                let theirs = try MeasuredRun.run(
                    other, ["\(min(n, UInt128(UInt64.max) - 1))", "--threads=\(threads)"])
                for run in [mine, theirs] where run.exitStatus != 0 {
                    throw MeasuredRun.Failure(
                        description: "a run for 1e\(exponent) exited with status \(run.exitStatus)")
                }
                if best.ours.map({ mine.seconds < $0.seconds }) ?? true { best.ours = mine }
                if best.theirs.map({ theirs.seconds < $0.seconds }) ?? true { best.theirs = theirs }
            }
            guard let mine = best.ours, let theirs = best.theirs else { continue }
            let same = firstLine(mine.output) == firstLine(theirs.output)
            if !same { mismatches += 1 }
            let megabytes = { (bytes: UInt64) in Double(bytes) / 1e6 }
            print(
                String(
                    format: "1e%-5d %7.3f  %9.3f  %5.2fx  %7.1f  %9.1f  %14.1f  ", exponent, mine.seconds,
                    theirs.seconds, mine.seconds / theirs.seconds, megabytes(mine.peakBytes),
                    megabytes(theirs.peakBytes), megabytes(theirs.peakBytes) + 20)
                    + (same
                        ? "same" : "DIFFER: \(firstLine(mine.output)) against \(firstLine(theirs.output))"))
        }
        if mismatches > 0 { throw ExitCode.failure }
    }

    private func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n").first ?? "").trimmingCharacters(in: .whitespaces)
    }

    private func estimate(_ range: PrimeRange, _ method: SumMethod, _ threads: Int) -> Double {
        PrimeSumEngine(threads: threads).estimate(range, method: method).seconds
    }

    private func time(_ range: PrimeRange, _ method: SumMethod, threads: Int) async throws -> Double {
        let engine = PrimeSumEngine(threads: threads)
        let started = ContinuousClock.now
        _ = try await engine.sum(range, method: method)
        return (ContinuousClock.now - started).seconds
    }

    private func measure(_ body: () -> Void) -> Double {
        let started = ContinuousClock.now
        body()
        return (ContinuousClock.now - started).seconds
    }

    private func checkOracles(path: String, threads: Int) async throws {
        let rows = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
        print("\noracles from \(path)")
        var failures = 0
        for row in rows {
            let fields = row.split(separator: "\t").map(String.init)
            guard fields.count == 3 else { continue }
            let range = try PrimeRange(parsingA: fields[0], b: fields[1])
            let engine = PrimeSumEngine(threads: threads)
            let method = engine.estimate(range).method
            let started = ContinuousClock.now
            let sum = try await engine.sum(range, method: method)
            let seconds = (ContinuousClock.now - started).seconds
            let verdict = "\(sum)" == fields[2] ? "ok" : "WRONG (expected \(fields[2]))"
            if "\(sum)" != fields[2] { failures += 1 }
            print("\(range) \(method.rawValue) \(String(format: "%.3f", seconds)) s: \(sum) \(verdict)")
        }
        if failures > 0 { throw ExitCode.failure }
    }
}

/// One line of the benchmark table.
private struct Row: CustomStringConvertible {
    static let header = "case                 method               threads   seconds  estimate  ratio"
    var name: String
    var method: String
    var threads: Int
    var seconds: Double
    var estimate: Double? = nil
    var ratio: Double? = nil

    var description: String {
        let estimateText = estimate.map { String(format: "%9.3f", $0) } ?? String(repeating: " ", count: 9)
        let ratioText = ratio.map { String(format: "%6.2fx", $0) } ?? ""
        let label = name.padding(toLength: 20, withPad: " ", startingAt: 0)
        let methodText = method.padding(toLength: 20, withPad: " ", startingAt: 0)
        let figures = String(format: " %7d %9.3f ", threads, seconds)
        return "\(label) \(methodText)\(figures)\(estimateText) \(ratioText)"
    }
}
