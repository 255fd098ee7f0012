import Foundation
import Testing

@testable import PrimeSum

/// `CostModel.parts(of:partSeconds:)`: the ranges a job is split into for many workers.
@Suite struct CostModelPartsTests {
    let model = CostModel(threads: 1)

    /// The parts lie end to end over the range, in order.
    func expectTiling(_ parts: [PrimeRange], _ range: PrimeRange) {
        #expect(parts.first?.a == range.a && parts.last?.b == range.b)
        for (left, right) in zip(parts, parts.dropFirst()) { #expect(left.b == right.a) }
    }

    @Test func aSieveRangeIsCutIntoPartsOfAboutThePartTime() throws {
        let range = try PrimeRange(a: 1_000_000_000_000_000, b: 1_000_010_000_000_000)
        let estimate = model.estimate(range)
        #expect(estimate.method == .sieve)
        // With any set-up share allowed, the estimate over the part time, in equal widths.
        let parts = model.parts(of: range, partSeconds: 0.2, maximumSetUpShare: 1)
        expectTiling(parts, range)
        #expect(
            parts.count == Int((estimate.seconds / 0.2).rounded()),
            "\(parts.count) parts of \(estimate.seconds) s")
        let widths = Set(parts.dropLast().map(\.width))
        #expect(widths.count == 1 && parts.last!.width - parts[0].width < UInt64(parts.count))
        // By default fewer, each with at most 10% of set-up.
        let fewer = model.parts(of: range, partSeconds: 0.2)
        expectTiling(fewer, range)
        #expect(fewer.count > 1 && fewer.count < parts.count)
        let (sieving, setUp) = model.sieveSeconds(fewer[0])
        #expect(setUp <= 0.1 * (sieving + setUp))
    }

    @Test func sieveSetUpKeepsPartsLongNearTheTop() throws {
        // Near 1e18 each part sets up the sieving primes up to 1e9 (about 0.75 s): a part of
        // 1 s would spend almost half its time there, so the parts grow until it is 10% at most,
        // or 25% when asked.
        let range = try PrimeRange(a: 1_000_000_000_000_000_000, b: 1_000_000_200_000_000_000)
        let parts = model.parts(of: range, partSeconds: 1)
        expectTiling(parts, range)
        #expect(parts.count > 4 && Double(parts.count) < model.estimate(range).seconds / 5)
        let (sieving, setUp) = model.sieveSeconds(parts[0])
        #expect(setUp <= 0.1 * (sieving + setUp) && setUp > 0.08 * (sieving + setUp))
        let more = model.parts(of: range, partSeconds: 1, maximumSetUpShare: 0.25)
        expectTiling(more, range)
        #expect(more.count > 2 * parts.count)
        #expect(model.parts(of: range, partSeconds: 0) == [range])
    }

    @Test func aPrefixRangeBecomesItsTwoPrefixSumsWhenBothAreWorthAPart() throws {
        let range = try PrimeRange(a: 100_000_000_000_000_000, b: 200_000_000_000_000_000)
        #expect(model.estimate(range).method == .prefix)
        #expect(
            model.parts(of: range, partSeconds: 2) == [
                try PrimeRange(a: 0, b: range.b), try PrimeRange(a: 0, b: range.a),
            ])
        // S(a - 1) of a few seconds' less than a part: the range stays whole.
        let low = try PrimeRange(a: 1_000_000_000_000, b: 200_000_000_000_000_000)
        #expect(model.parts(of: low, partSeconds: 2) == [low])
        let fromZero = try PrimeRange(a: 0, b: 200_000_000_000_000_000)
        #expect(model.parts(of: fromZero, partSeconds: 2) == [fromZero])
    }

    @Test func aJobWithinThePartTimeStaysWhole() throws {
        let range = try PrimeRange(a: 1_000_000, b: 2_000_000)
        #expect(model.parts(of: range, partSeconds: 2) == [range])
    }

    @Test(arguments: [
        (UInt64(100_000_000_000_000), UInt64(100_002_000_000_000), 0.1),  // sieve parts
        (UInt64(10_000_000_000), UInt64(30_000_000_000), 0.000_1),  // [0, b) - [0, a)
    ])
    func thePartsSumToTheRange(_ a: UInt64, _ b: UInt64, _ partSeconds: Double) async throws {
        let engine = PrimeSumEngine(threads: 2)
        let range = try PrimeRange(a: a, b: b)
        let parts = engine.parts(of: range, partSeconds: partSeconds, maximumSetUpShare: 0.25)
        #expect(parts.count > 1)
        var total = UInt128(0)
        for part in parts {
            let sum = try await engine.sum(part)
            total = part.b <= range.a ? total &- sum : total &+ sum
        }
        #expect(total == (try await engine.sum(range, method: .sieve)))
    }
}
