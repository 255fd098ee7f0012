import Foundation

/// The prefix method: S(x), the sum of the primes <= x, for any x < 2^64, by the combinatorial
/// method of Lagarias, Miller and Odlyzko with the improvements of Deléglise and Rivat and the
/// leaves' limit of Gourdon's variant, adapted from counting primes to summing them:
/// O(x^(2/3) / log^2 x) time, O(x^(1/3) log^3 x) memory.
/// The parts and the formula joining them are described at `CombinatorialPlan`; S(x) can also
/// be computed in parts that run apart and join exactly (`PrefixSumPart`, `PrefixSumTerms`).
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
    private let tuning: PrefixTuning

    /// S(x); `tuning` overrides the fitted tuning factors (for benchmarks).
    init(x: UInt64, tuning: PrefixTuning = PrefixTuning()) {
        self.x = x
        self.tuning = tuning
    }

    /// The method's y and L for this x and tuning (0 below `CombinatorialPlan.minimumX`, where
    /// the method sieves): the parts of one S(x) join only when they agree on them.
    var bounds: (y: UInt64, leafLimit: UInt64) {
        x >= CombinatorialPlan.minimumX ? CombinatorialPlan.bounds(x: x, tuning: tuning) : (0, 0)
    }

    /// The work units `run` reports progress in: the cost model's nanoseconds on one thread.
    var operations: UInt64 { UInt64(CostModel.prefixThreadSeconds(x) * 1e9) + 1 }

    /// Each part's share of the time (measured from 1e16, where the easy leaves take 40%, to
    /// 2^64, where they take 53%; BENCHMARKS.md).
    private static let shares = (ordinary: 0.01, easy: 0.45, hard: 0.48, p2: 0.06)

    /// The bytes S(x) holds at its peak on `threads` threads: the tables up to y and L, and per
    /// thread a leaf sieve, its chunks' per-prime sums (primes up to sqrt(x / y)) and
    /// primesieve's buffers (P2's ascending iterator and descending block, about 1.5 MB
    /// together).
    static func peakBytes(x: UInt64, threads: Int) -> UInt64 {
        guard x >= CombinatorialPlan.minimumX else { return 6_000_000 }
        let (y, leafLimit) = CombinatorialPlan.bounds(x: x, tuning: PrefixTuning())
        let largestSievingPrime = Double(x / y).squareRoot()
        let sievingPrimes = UInt64(largestSievingPrime / max(1, log(largestSievingPrime) - 1.1))
        let segmentBits = Int(HardSpecialLeaves.segmentLength(x / leafLimit) >> 1)
        let perThread = LeafSieve.bytes(bits: segmentBits) + sievingPrimes * (8 + 4 * 32) + 1_500_000
        return PrimeTable.bytes(limit: y) + FactorTable.bytes(limit: leafLimit) + UInt64(threads) * perThread
    }

    func run(pool: ThreadPool, control: ComputeControl) throws(PrimeSumError) -> UInt128 {
        try terms(of: PrefixSumPart(whole: x), pool: pool, control: control).value
    }

    /// What one part of S(x) contributes (`PrefixSumPart`): its slice of every piece of the
    /// method. Its progress budget is its share of `operations`.
    func terms(of part: PrefixSumPart, pool: ThreadPool, control: ComputeControl)
        throws(PrimeSumError) -> PrefixSumTerms
    {
        let budget = Double(operations) / Double(part.count)
        var terms = PrefixSumTerms()
        guard x >= CombinatorialPlan.minimumX else {
            // Below the method's range the first part sieves it all.
            guard part.index == 0 else { return terms }
            let progress = ProgressPart(control, units: x + 1, budget: UInt64(budget))
            terms.base = try SieveSummer.sumChunk(0..<(x + 1), progress: progress)
            return terms
        }
        let plan = CombinatorialPlan(x: x, tuning: tuning)
        try control.checkCancellation()
        let shares = Self.shares
        func progress(_ units: UInt64, _ share: Double) -> ProgressPart {
            ProgressPart(control, units: units, budget: UInt64(budget * share))
        }
        let ordinaryUnits = UInt64(part.slice(of: 1..<(plan.leafLimit + 1)).count)
        terms.base = try OrdinaryLeaves.sum(
            plan, part: part, pool: pool, progress: progress(ordinaryUnits, shares.ordinary))
        terms.base &+= try EasySpecialLeaves.sum(
            plan, part: part, pool: pool,
            progress: progress(EasySpecialLeaves.units(plan, part: part), shares.easy))
        let hard = HardSpecialLeaves.range(plan, part: part)
        let hardUnits =
            HardSpecialLeaves.units(plan, below: hard.upperBound)
            - HardSpecialLeaves.units(plan, below: hard.lowerBound)
        terms.hard = try HardSpecialLeaves.sum(
            plan, range: hard, pool: pool, progress: progress(hardUnits, shares.hard))
        (terms.lower, terms.upper) = try SecondPartialSieveSum.sums(
            plan, part: part, pool: pool,
            progress: progress(SecondPartialSieveSum.units(plan, part: part), shares.p2))
        // S(y) - 1 once, and P2's terms in S(y), which each part's own weights give.
        let sumToY = UInt128(plan.primes.primeSum(plan.y))
        terms.base &+= (terms.lower.weight &- terms.upper.weight) &* sumToY
        if part.index == 0 { terms.base &+= sumToY &- 1 }
        return terms
    }
}
