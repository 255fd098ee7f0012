import Foundation
import Testing

@testable import PrimeSum

/// `CostModel.parts(of:partSeconds:)` and `sumParts`: the ranges and pieces of prefix sums a job
/// is split into for many workers.
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

    @Test func aLongPrefixSumIsComputedInPiecesOfAboutThePieceTime() throws {
        let x: UInt64 = 1_000_000_000_000_000_000
        let whole = try PrimeRange(a: 0, b: x + 1)
        let seconds = model.estimate(whole).seconds
        func pieces(_ parts: [SumPart]) -> [PrefixSumPart] {
            parts.compactMap { if case .prefixPiece(let piece) = $0 { piece } else { nil } }
        }
        let parts = model.sumParts(of: whole, partSeconds: 2, pieceSeconds: seconds / 4.5)
        #expect(parts == (0..<4).map { .prefixPiece(try! PrefixSumPart(x: x, index: $0, of: 4)) })
        // At most 12 pieces, however short they are asked to be.
        #expect(
            pieces(model.sumParts(of: whole, partSeconds: 2, pieceSeconds: 1)).count
                == CostModel.maximumPieces)
        // A range [a, b): S(b - 1) in pieces less S(a - 1), in pieces too when long enough.
        let range = try PrimeRange(a: x / 2, b: x + 1)
        let split = model.sumParts(of: range, partSeconds: 2, pieceSeconds: seconds / 4.5)
        #expect(Set(pieces(split).map(\.x)) == [x, x / 2 - 1] && split.count == pieces(split).count)
        // S(a - 1) too short for pieces: subtracted whole.
        let wide = try PrimeRange(a: 1_000_000_000_000, b: x + 1)
        let wideParts = model.sumParts(of: wide, partSeconds: 2, pieceSeconds: seconds / 4.5)
        #expect(pieces(wideParts).count == 4)
        #expect(
            wideParts.filter { if case .range = $0 { true } else { false } } == [
                .range(try PrimeRange(a: 0, b: wide.a))
            ])
        // Within twice the piece time, or with pieces off: as `parts(of:)` would cut it.
        #expect(model.sumParts(of: whole, partSeconds: 2, pieceSeconds: seconds / 1.9) == [.range(whole)])
        #expect(model.sumParts(of: whole, partSeconds: 2, pieceSeconds: 0) == [.range(whole)])
        #expect(model.sumParts(of: whole, partSeconds: 0, pieceSeconds: 1) == [.range(whole)])
        let sieved = try PrimeRange(a: 100_000_000_000_000, b: 100_002_000_000_000)
        #expect(
            model.sumParts(of: sieved, partSeconds: 0.1, pieceSeconds: 0.01)
                == model.parts(of: sieved, partSeconds: 0.1).map(SumPart.range))
    }

    @Test(arguments: [
        (UInt64(100_000_000_000_000), UInt64(100_002_000_000_000), 0.1, 0.0),  // sieve parts
        (UInt64(10_000_000_000), UInt64(30_000_000_000), 0.000_1, 0.0),  // [0, b) - [0, a)
        (UInt64(10_000_000_000), UInt64(30_000_000_000), 0.000_1, 0.000_01),  // both in pieces
        (UInt64(3), UInt64(30_000_000_000), 0.000_1, 0.000_01),  // [0, b) in pieces, less 2
    ])
    func thePartsSumToTheRange(_ a: UInt64, _ b: UInt64, _ partSeconds: Double, _ pieceSeconds: Double)
        async throws
    {
        let engine = PrimeSumEngine(threads: 2)
        let range = try PrimeRange(a: a, b: b)
        let parts = engine.parts(
            of: range, partSeconds: partSeconds, maximumSetUpShare: 0.25, pieceSeconds: pieceSeconds)
        #expect(parts.count > 1)
        var total = UInt128(0)
        var pieces: [UInt64: [PrefixSumPartResult]] = [:]
        for part in parts {
            switch part {
            case .range(let part):
                let sum = try await engine.sum(part)
                total = part.b <= range.a ? total &- sum : total &+ sum
            case .prefixPiece(let piece):
                pieces[piece.x, default: []].append(try await engine.sum(piece))
            }
        }
        #expect(pieces.isEmpty == (pieceSeconds == 0))
        for (x, results) in pieces {
            let sum = try PrefixSumPartResult.combine(results)
            total = x < range.a ? total &- sum : total &+ sum
        }
        #expect(total == (try await engine.sum(range, method: .sieve)))
    }
}
