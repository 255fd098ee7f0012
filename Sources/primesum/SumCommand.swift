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

    @Option(help: "The prefix method's tuning factor, 1 or more (default: fitted to x).")
    var alpha: Double?

    @Flag(help: "Print a JSON object with a, b, sum, method and seconds.")
    var json = false

    func validate() throws {
        _ = try parsedRange()
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let alpha, !(alpha >= 1 && alpha <= 10_000) {
            throw ValidationError("--alpha must be 1 ... 10000")
        }
    }

    func run() async throws {
        let range = try parsedRange()
        let engine = PrimeSumEngine(threads: threads, prefixAlpha: alpha)
        let chosen = method == .auto ? engine.estimate(range).method : method
        let bar = ProgressBar(label: "\(chosen.rawValue) \(range)")
        let started = ContinuousClock.now
        var progress: (@Sendable (Double) -> Void)? = nil
        if let bar { progress = { bar.update($0) } }
        let sum = try await engine.sum(range, method: chosen, progress: progress)
        bar?.finish()
        let seconds = (ContinuousClock.now - started).seconds
        if json {
            let fields = [
                "\"a\":\"\(range.a)\"", "\"b\":\"\(range.b)\"", "\"sum\":\"\(sum)\"",
                "\"method\":\"\(chosen.rawValue)\"", "\"seconds\":\(String(format: "%.6f", seconds))",
            ]
            print("{\(fields.joined(separator: ","))}")
        } else {
            print(sum)
        }
    }

    private func parsedRange() throws -> PrimeRange {
        do {
            return try PrimeRange(parsingA: a, b: b)
        } catch {
            throw ValidationError(error.description)
        }
    }
}
