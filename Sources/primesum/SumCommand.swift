import ArgumentParser
import Foundation
import PrimeSum

extension SumMethod: ExpressibleByArgument {}

/// `primesum sum A B`: computes one sum on this machine.
struct SumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sum",
        abstract: "Print the sum of the primes p with A <= p < B (0 <= A < B <= 2^64-1).",
        discussion: "A and B are decimal integers; 1e12 style is accepted when it is exact."
    )

    @Argument(help: "The inclusive lower bound.")
    var a: String

    @Argument(help: "The exclusive upper bound.")
    var b: String

    @Option(help: "auto, sieve or prefix.")
    var method: SumMethod = .auto

    @Option(help: "Threads to use (default: all cores).")
    var threads: Int?

    @Option(
        help:
            "The prefix method's tuning factor alpha_y, 1 or more (default: fitted to x): y = alpha x^(1/3).")
    var alpha: Double?

    @Option(
        name: .customLong("alpha-z"),
        help:
            "The prefix method's second tuning factor, 1 or more (default: 2): the leaves' limit is alpha_z y."
    )
    var alphaZ: Double?

    @Option(
        help: ArgumentHelp(
            "Compute each prefix sum in this many parts, one after another, as separate machines could, and join them (prefix method).",
            discussion: "Each part's time and result size go to standard error (and into --json)."))
    var parts: Int?

    @Flag(help: "Print a JSON object with a, b, sum, method and seconds.")
    var json = false

    func validate() throws {
        _ = try parsedRange()
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        for (option, factor) in [("--alpha", alpha), ("--alpha-z", alphaZ)] {
            if let factor, !(factor >= 1 && factor <= 10_000) {
                throw ValidationError("\(option) must be 1 ... 10000")
            }
        }
        if let parts {
            guard parts >= 1 && parts <= PrefixSumPart.maximumCount else {
                throw ValidationError("--parts must be 1 ... \(PrefixSumPart.maximumCount)")
            }
            guard method != .sieve else {
                throw ValidationError("--parts splits the prefix method, not the sieve")
            }
        }
    }

    func run() async throws {
        let range = try parsedRange()
        let engine = PrimeSumEngine(
            threads: threads, prefixTuning: PrefixTuning(alpha: alpha, alphaZ: alphaZ))
        let chosen = parts != nil ? .prefix : method == .auto ? engine.estimate(range).method : method
        let started = ContinuousClock.now
        var partFields: [String] = []
        let sum: UInt128
        if let parts {
            // S(b - 1) - S(a - 1), each joined from its parts.
            var prefixSums: [UInt128] = []
            for x in range.a > 1 ? [range.b - 1, range.a - 1] : [range.b - 1] {
                var results: [PrefixSumPartResult] = []
                for index in 0..<parts {
                    let part = try PrefixSumPart(x: x, index: index, of: parts)
                    let partStarted = ContinuousClock.now
                    let result = try await withProgressBar("\(part)") {
                        try await engine.sum(part, progress: $0)
                    }
                    let seconds = (ContinuousClock.now - partStarted).seconds
                    let bytes = result.bytes.count
                    FileHandle.standardError.write(
                        Data("\(part): \(String(format: "%.3f", seconds)) s, \(bytes) bytes\n".utf8))
                    partFields.append(
                        "{\"x\":\"\(x)\",\"index\":\(index),\"seconds\":\(String(format: "%.6f", seconds)),\"bytes\":\(bytes)}"
                    )
                    results.append(result)
                }
                prefixSums.append(try PrefixSumPartResult.combine(results))
            }
            sum = prefixSums[0] - (prefixSums.count > 1 ? prefixSums[1] : 0)
        } else {
            sum = try await withProgressBar("\(chosen.rawValue) \(range)") {
                try await engine.sum(range, method: chosen, progress: $0)
            }
        }
        let seconds = (ContinuousClock.now - started).seconds
        if json {
            var fields = [
                "\"a\":\"\(range.a)\"", "\"b\":\"\(range.b)\"", "\"sum\":\"\(sum)\"",
                "\"method\":\"\(chosen.rawValue)\"", "\"seconds\":\(String(format: "%.6f", seconds))",
            ]
            if parts != nil { fields.append("\"parts\":[\(partFields.joined(separator: ","))]") }
            print("{\(fields.joined(separator: ","))}")
        } else {
            print(sum)
        }
    }

    /// Runs `work` with a progress bar on standard error (drawn when it is a terminal).
    private func withProgressBar<Value>(
        _ label: String, _ work: ((@Sendable (Double) -> Void)?) async throws -> Value
    ) async throws -> Value {
        let bar = ProgressBar(label: label)
        var update: (@Sendable (Double) -> Void)? = nil
        if let bar { update = { bar.update($0) } }
        let value = try await work(update)
        bar?.finish()
        return value
    }

    private func parsedRange() throws -> PrimeRange {
        do {
            return try PrimeRange(parsingA: a, b: b)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
