import Foundation
import Synchronization
import Testing

@testable import PrimeSum

/// S(x) computed in parts that run apart and join (`PrefixSumPart`): the joined sum against the
/// whole computation, the sieve and the oracles, whatever the part count and the order, and the
/// results' checks and bytes.
@Suite struct PrefixSumPartTests {
    private let engine = PrimeSumEngine(threads: 2)

    /// Every part of S(x) in `count` parts, computed in a shuffled order.
    private func results(x: UInt64, count: Int, engine: PrimeSumEngine? = nil, seed: UInt64 = 1)
        async throws -> [PrefixSumPartResult]
    {
        var generator = SplitMix64(seed: seed)
        var results: [PrefixSumPartResult] = []
        for index in (0..<count).shuffled(using: &generator) {
            results.append(
                try await (engine ?? self.engine).sum(PrefixSumPart(x: x, index: index, of: count)))
        }
        return results
    }

    private func sieved(_ x: UInt64) async throws -> UInt128 {
        try await engine.sum(PrimeRange(a: 0, b: x + 1), method: .sieve)
    }

    @Test func partsInAnyOrderJoinToTheSieveForRandomXAndCounts() async throws {
        var generator = SplitMix64(seed: 29)
        let edges: [UInt64] = [0, 1, 2, CombinatorialPlan.minimumX - 1, CombinatorialPlan.minimumX, 1 << 32]
        let random = (0..<30).map { _ in UInt64(pow(10, Double.random(in: 6...10, using: &generator))) }
        for (n, x) in (edges + random).enumerated() {
            let count = Int.random(in: 1...9, using: &generator)
            var parts = try await results(x: x, count: count, seed: UInt64(n))
            // One part computed twice (a retried part) joins once.
            parts.append(try await engine.sum(PrefixSumPart(x: x, index: count - 1, of: count)))
            let expected = try await sieved(x)
            #expect(try PrefixSumPartResult.combine(parts) == expected, "S(\(x)) in \(count) parts")
        }
    }

    /// Every piece of the method is cut: with more parts than primes above sqrt y or than
    /// hard segments, the extra parts are empty and still join.
    @Test(arguments: [2, 3, 7, 64, 1_000])
    func theSplitOfS1e12MatchesTheOracle(count: Int) async throws {
        let x: UInt64 = 1_000_000_000_000
        let expected: UInt128 = 18_435_588_552_550_705_911_377
        // Single-threaded parts cut the hard segments into other chunks than two threads do.
        let engine = PrimeSumEngine(threads: 1)
        #expect(
            try PrefixSumPartResult.combine(await results(x: x, count: count, engine: engine)) == expected)
    }

    @Test func fivePartsOfS1e15MatchTheOracle() async throws {
        let parts = try await results(x: 1_000_000_000_000_000, count: 5)
        #expect(try PrefixSumPartResult.combine(parts) == 14_692_398_516_908_006_398_225_702_366)
    }

    /// The parts' runs of hard segments tile [0, z] in order, each from an even integer, and
    /// the work is spread: no part's run holds more than twice its share of the units.
    @Test(arguments: [1_000_000_000_000, 1_000_000_000_000_000_000, UInt64.max] as [UInt64])
    func hardSegmentRunsTileTheSieveWithEvenShares(x: UInt64) throws {
        let plan = CombinatorialPlan(x: x)
        let count = 16
        let whole = HardSpecialLeaves.units(plan, below: plan.sieveLimit + 1)
        var next: UInt64 = 0
        for index in 0..<count {
            let range = HardSpecialLeaves.range(plan, part: try PrefixSumPart(x: x, index: index, of: count))
            #expect(range.lowerBound == next && range.lowerBound & 1 == 0, "part \(index)")
            let units =
                HardSpecialLeaves.units(plan, below: range.upperBound)
                - HardSpecialLeaves.units(plan, below: range.lowerBound)
            #expect(units <= 2 * whole / UInt64(count), "part \(index): \(units) of \(whole)")
            next = range.upperBound
        }
        #expect(next == plan.sieveLimit + 1)
    }

    @Test func resultsThatAreNotExactlyThePartsOfOneSumAreRefused() async throws {
        let x: UInt64 = 10_000_000_000
        let parts = try await results(x: x, count: 3)
        func refuses(_ results: [PrefixSumPartResult], _ why: Comment) {
            #expect(throws: PrimeSumError.self, why) { try PrefixSumPartResult.combine(results) }
        }
        refuses([], "no results")
        refuses(Array(parts.dropLast()), "a part missing")
        let otherCount = try await engine.sum(PrefixSumPart(x: x, index: 0, of: 2))
        refuses(parts + [otherCount], "a part of another split")
        let otherX = try await engine.sum(PrefixSumPart(x: x + 1, index: 0, of: 3))
        refuses(parts + [otherX], "a part of another sum")
        let otherAlpha = try await PrimeSumEngine(threads: 2, prefixTuning: PrefixTuning(alpha: 3)).sum(
            parts[0].part)
        #expect(otherAlpha.y != parts[0].y)
        refuses(parts + [otherAlpha], "a part computed with another y")
        // The same y with another L: the leaves, and so the terms, are cut elsewhere.
        let otherAlphaZ = try await PrimeSumEngine(threads: 2, prefixTuning: PrefixTuning(alphaZ: 3)).sum(
            parts[0].part)
        #expect(otherAlphaZ.y == parts[0].y && otherAlphaZ.leafLimit != parts[0].leafLimit)
        #expect(otherAlphaZ.terms != parts.first { $0.part.index == 0 }!.terms)
        refuses(parts.filter { $0.part.index != 0 } + [otherAlphaZ], "a part computed with another L")
        var tampered = parts[1].terms
        tampered.base &+= 1
        let twoAnswers = PrefixSumPartResult(
            part: parts[1].part, y: parts[1].y, leafLimit: parts[1].leafLimit, terms: tampered)
        refuses(parts + [twoAnswers], "two answers")
        let expected = try await sieved(x)
        #expect(try PrefixSumPartResult.combine(parts + parts) == expected)
    }

    @Test func aPartIsNamedWithinItsCount() {
        #expect(throws: PrimeSumError.self) { try PrefixSumPart(x: 10, index: 0, of: 0) }
        #expect(throws: PrimeSumError.self) { try PrefixSumPart(x: 10, index: 3, of: 3) }
        #expect(throws: PrimeSumError.self) { try PrefixSumPart(x: 10, index: -1, of: 3) }
        #expect(throws: PrimeSumError.self) {
            try PrefixSumPart(x: 10, index: 0, of: PrefixSumPart.maximumCount + 1)
        }
    }

    @Test func resultsSurviveTheirBytesAndBrokenBytesAreRefused() async throws {
        let x: UInt64 = 1_000_000_000_000
        let parts = try await results(x: x, count: 3)
        for part in parts {
            #expect(try PrefixSumPartResult(bytes: part.bytes) == part)
        }
        // The first part carries a weight and a carry per prime up to sqrt(x / y).
        let first = try #require(parts.first { $0.part.index == 0 })
        #expect(!first.terms.hard.left.isEmpty && first.bytes.count > 32 * first.terms.hard.left.count)
        let bytes = first.bytes
        #expect(throws: PrimeSumError.self) { try PrefixSumPartResult(bytes: Array(bytes.dropLast())) }
        #expect(throws: PrimeSumError.self) { try PrefixSumPartResult(bytes: bytes + [0]) }
        #expect(throws: PrimeSumError.self) {
            try PrefixSumPartResult(bytes: [UInt8](repeating: 0, count: 200))
        }
        #expect(throws: PrimeSumError.self) { try PrefixSumPartResult(bytes: []) }
        // A count of primes far past the bytes is refused before anything is read.
        var huge = bytes
        for offset in 68..<72 { huge[offset] = 0xFF }
        #expect(throws: PrimeSumError.self) { try PrefixSumPartResult(bytes: huge) }
        // An index outside its count.
        var outside = bytes
        outside[28] = 9
        #expect(throws: PrimeSumError.self) { try PrefixSumPartResult(bytes: outside) }
        // A result of the first layout, without L, from before L could differ from y.
        var firstLayout = Array("PSP1".utf8) + bytes[4..<20]
        firstLayout += bytes[28...]
        #expect(throws: PrimeSumError.self) { try PrefixSumPartResult(bytes: firstLayout) }
    }

    @Test func aPartReportsItsOwnProgressToOne() async throws {
        let seen = Mutex<[Double]>([])
        _ = try await engine.sum(PrefixSumPart(x: 100_000_000_000_000, index: 1, of: 3)) { value in
            seen.withLock { $0.append(value) }
        }
        let values = seen.withLock { $0 }
        #expect(values.count > 2 && values.last == 1.0 && values == values.sorted())
        // The part's own work reaches well past its third of the whole before the final 1.0 (a
        // part measured against the whole would stop near 1/3). Reports come at most every 50
        // ms, so the last one may fall where the easy leaves end (0.46): once the hard leaves
        // got faster, the last report before 1.0 came at 0.485 in one run.
        #expect(values.dropLast().last ?? 0 > 0.4)
    }

    @Test func cancellingAPartStopsIt() async throws {
        let calls = Mutex(0)
        // Half of S(1e18): about 100 s of work on this machine, so only a cancellation ends it
        // within the wait below.
        let part = try PrefixSumPart(x: 1_000_000_000_000_000_000, index: 0, of: 2)
        let task = Task { try await engine.sum(part) { _ in calls.withLock { $0 += 1 } } }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        await #expect(throws: PrimeSumError.cancelled) { try await task.value }
        // The engine's threads stop too, not just the caller's wait (generously bounded: a
        // loaded machine may take seconds to schedule them).
        let deadline = ContinuousClock.now + .seconds(20)
        while engine.runningComputations > 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(engine.runningComputations == 0)
        let settled = calls.withLock { $0 }
        try await Task.sleep(for: .milliseconds(500))
        #expect(calls.withLock { $0 } == settled)
    }
}
