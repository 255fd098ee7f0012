import Foundation
import PrimeSum
import Testing

/// The sieve and prefix methods are independent; they must agree on every range.
@Suite struct MethodAgreementTests {
    @Test func sieveAndPrefixAgreeOnMixedRanges() async throws {
        var generator = SplitMix64(seed: 64)
        let engine = PrimeSumEngine()
        for index in 0..<240 {
            // Magnitudes from 10 to 1e11, widths from 1 to the whole prefix (capped at 2e8).
            let b = UInt64(pow(10, Double.random(in: 1...(index % 10 == 0 ? 11 : 10), using: &generator)))
            let width = min(
                b, UInt64(pow(10, Double.random(in: 0...log10(Double(b)), using: &generator))), 200_000_000)
            let range = try PrimeRange(a: b - max(width, 1), b: b)
            let bySieve = try await engine.sum(range, method: .sieve)
            let byPrefix = try await engine.sum(range, method: .prefix)
            #expect(bySieve == byPrefix, "\(range)")
        }
    }
}
