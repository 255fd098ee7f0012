import Foundation

/// The prefix method: S(x), the sum of the primes <= x, for any x < 2^64, by the combinatorial
/// method of Lagarias, Miller and Odlyzko with the improvements of Deléglise and Rivat, adapted
/// from counting primes to summing them: O(x^(2/3) / log^2 x) time, O(x^(1/3) log^3 x) memory.
/// The parts and the formula joining them are described at `CombinatorialPlan`.
///
/// Written by hand: no library here computes prime sums sublinearly (the method was learnt from
/// the papers and from kimwalisch/primesum; the code is this project's own).
///
/// Exactness: every part is a sum of products of integers, so reducing all of it modulo 2^128
/// commutes with the formula, and the result, below x (x + 1) / 2 < 2^127, equals its residue.
/// All sums are therefore UInt128 with wrapping arithmetic. Some intermediate terms do exceed
/// 2^128 (an ordinary leaf m phi(x / m, c) reaches about x^2 / 2, and the leaves' signed sum
/// swings past it), which is harmless modulo 2^128; divisions and comparisons only ever see
/// 64-bit quotients of x, never sums.
struct CombinatorialPrefixSum: Sendable {
    let x: UInt64
    private let alpha: Double?

    /// S(x); `alpha` overrides the tuning factor (for benchmarks).
    init(x: UInt64, alpha: Double? = nil) {
        self.x = x
        self.alpha = alpha
    }

    /// The work units `run` reports progress in: the cost model's nanoseconds on one thread.
    var operations: UInt64 { UInt64(CostModel.prefixThreadSeconds(x) * 1e9) + 1 }

    /// Each part's share of the time (measured from 1e16, where the easy leaves take 40%, to
    /// 2^64, where they take 53%; BENCHMARKS.md).
    private static let shares = (ordinary: 0.01, easy: 0.45, hard: 0.48, p2: 0.06)

    /// The bytes S(x) holds at its peak on `threads` threads: the tables up to y, and per thread
    /// a leaf sieve, its chunks' per-prime sums and a primesieve iterator.
    static func peakBytes(x: UInt64, threads: Int) -> UInt64 {
        guard x >= CombinatorialPlan.minimumX else { return 6_000_000 }
        let (y, z) = CombinatorialPlan.bounds(x: x, alpha: nil)
        let sievingPrimes = UInt64(Double(z).squareRoot() / max(1, log(Double(z)) / 2 - 1.1))
        let segmentBits = Int(HardSpecialLeaves.segmentLength(z) >> 1)
        let perThread = LeafSieve.bytes(bits: segmentBits) + sievingPrimes * (8 + 4 * 32) + 6_000_000
        return PrimeTable.bytes(limit: y) + FactorTable.bytes(limit: y) + UInt64(threads) * perThread
    }

    func run(pool: ThreadPool, control: ComputeControl) throws(PrimeSumError) -> UInt128 {
        let budget = Double(operations)
        guard x >= CombinatorialPlan.minimumX else {
            let progress = ProgressPart(control, units: x + 1, budget: UInt64(budget))
            return try SieveSummer.sumChunk(0..<(x + 1), progress: progress)
        }
        let plan = CombinatorialPlan(x: x, alpha: alpha)
        try control.checkCancellation()
        let shares = Self.shares
        func part(_ units: UInt64, _ share: Double) -> ProgressPart {
            ProgressPart(control, units: units, budget: UInt64(budget * share))
        }
        let ordinary = try OrdinaryLeaves.sum(plan, pool: pool, progress: part(plan.y, shares.ordinary))
        let easy = try EasySpecialLeaves.sum(
            plan, pool: pool, progress: part(EasySpecialLeaves.units(plan), shares.easy))
        let hard = try HardSpecialLeaves.sum(
            plan, pool: pool, progress: part(HardSpecialLeaves.units(plan), shares.hard))
        let p2 = try SecondPartialSieveSum.sum(
            plan, pool: pool, progress: part(SecondPartialSieveSum.units(plan), shares.p2))
        let phi = ordinary &+ easy &+ hard
        return UInt128(plan.primes.primeSum(plan.y)) &- 1 &+ phi &- p2
    }
}
