import Foundation
import PrimeSum
import Testing

/// The prefix method where x meets 2^64: about 35 minutes on two cores (three S(x) near 2^64,
/// 11.5 minutes each), so it runs only when asked for (`PRIMESUM_TOP_OF_THE_DOMAIN=1 swift test
/// --filter TopOfTheDomainTests`, or `-c release`); BENCHMARKS.md has the run.
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["PRIMESUM_TOP_OF_THE_DOMAIN"] == "1",
        "three sums of the primes up to 2^64 take about 35 minutes on two cores; set PRIMESUM_TOP_OF_THE_DOMAIN=1"
    )
)
struct TopOfTheDomainTests {
    /// S(2^64 - 2), the sum of every prime below 2^64, as kimwalisch/primesum 1.7 computes it.
    static let sumOfAllPrimesBelow2To64 = "3879578600671960388666457126750869198"

    /// [0, 2^64 - 1) against an independent program's S(2^64 - 2), and the range below it
    /// that ends at 2^64 - 1 (S(2^64 - 2) - S(2^64 - 1e9 - 1)) against primesieve's sieve.
    @Test func wholeDomainAndTheRangeEndingAtTheTop() async throws {
        let engine = PrimeSumEngine()
        let whole = try await engine.sum(PrimeRange(a: 0, b: UInt64.max), method: .prefix)
        #expect("\(whole)" == Self.sumOfAllPrimesBelow2To64)
        let top = try PrimeRange(a: UInt64.max - 1_000_000_000, b: UInt64.max)
        let byPrefix = try await engine.sum(top, method: .prefix)
        let bySieve = try await engine.sum(top, method: .sieve)
        #expect(byPrefix == bySieve)
    }
}
