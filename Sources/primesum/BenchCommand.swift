import ArgumentParser
import Foundation
import PrimeSum

/// `primesum bench`: times the engine on fixed cases against references, for BENCHMARKS.md.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark the engine (build with -c release).",
        discussion: """
            Prints one row per case: the method, threads, seconds, the cost model's estimate, and
            the ratio to a reference: primesieve's single-thread count of the same range for the
            sieve, the seed's trial division for the baseline row.
            """
    )

    @Option(help: "Threads for the multi-threaded rows (default: all cores).")
    var threads: Int?

    @Flag(help: "Skip the slow rows (S(1e13) and the trial-division baseline).")
    var quick = false

    @Option(help: "Also check every row of this oracle file (a, b, sum; tab-separated) and time it.")
    var oracles: String?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() async throws {
        let all = PrimeSumEngine(threads: threads).threads
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, engine threads: \(all)")
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
        for exponent in quick ? [11, 12] : [11, 12, 13] {
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
