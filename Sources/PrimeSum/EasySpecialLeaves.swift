/// The special leaves n = p_b q (q a prime, p_b < q <= y) of the primes p_b above sqrt L whose
/// phi(x / n, b - 1) the prime table gives: x / n < p_b leaves only 1 (the trivial leaves),
/// x / n < y leaves 1 and the primes from p_b to x / n (the easy leaves, since x / n < p_b^2).
/// Each adds p_b q phi(x / n, b - 1); the rest (x / n >= y) are the sieve's.
enum EasySpecialLeaves {
    /// The leaves of the part's primes: every count-th index, so that cheap and costly ones
    /// mix in every part, and again in every piece of it.
    static func sum(_ plan: CombinatorialPlan, part: PrefixSumPart, pool: ThreadPool, progress: ProgressPart)
        throws(PrimeSumError) -> UInt128
    {
        let indices = indices(plan, part: part)
        guard indices.count > 0 else { return 0 }
        let pieces = min(indices.count, pool.threads * 32)
        let partials = PartialSums(count: pieces)
        try pool.forEach(pieces) { (piece) throws(PrimeSumError) in
            var sum: UInt128 = 0
            for j in stride(from: piece, to: indices.count, by: pieces) {
                let index = indices.first + j * indices.step
                try progress.checkCancellation()
                let leafSpan = span(of: index, plan)
                sum &+= leaves(of: index, span: leafSpan, plan)
                progress.advance(by: leafSpan.count)
            }
            partials.set(piece, sum)
        }
        return partials.total
    }

    /// The progress units of the part's leaves: per prime, the count of the q up to its
    /// trivial ones, each costing a division or less.
    static func units(_ plan: CombinatorialPlan, part: PrefixSumPart) -> UInt64 {
        let indices = indices(plan, part: part)
        return (0..<indices.count).reduce(0) { $0 + span(of: indices.first + $1 * indices.step, plan).count }
    }

    /// The part's indices of the primes above sqrt L: first, first + step, ... (count of them).
    private static func indices(_ plan: CombinatorialPlan, part: PrefixSumPart) -> (
        first: Int, step: Int, count: Int
    ) {
        let first = max(CombinatorialPlan.c, plan.piSqrtLeafLimit) + 1 + part.index
        let last = plan.primes.count
        return (first, part.count, first <= last ? (last - first) / part.count + 1 : 0)
    }

    /// The indices of the easy leaves' q of the b-th prime: (floor, top].
    @inline(__always)
    private static func span(of b: Int, _ plan: CombinatorialPlan) -> (floor: Int, top: Int, count: UInt64) {
        let table = plan.primes
        let p = UInt64(table.primes[b])
        let x2 = plan.x / p
        let top = table.primeCount(max(p, min(x2 / p, plan.y)))
        let floor = min(top, table.primeCount(max(p, min(x2 / plan.y, plan.y))))
        return (floor, top, UInt64(top - floor) + 1)
    }

    /// The trivial and easy leaves of the b-th prime.
    @inline(__always)
    private static func leaves(
        of b: Int, span: (floor: Int, top: Int, count: UInt64), _ plan: CombinatorialPlan
    ) -> UInt128 {
        let table = plan.primes
        let p = UInt64(table.primes[b])
        let x2 = plan.x / p
        // Trivial: q > x / p^2, so x / (p q) < p and phi = 1. Easy: x / y < p q (x / n < y)
        // and q <= x / p^2 (x / n >= p).
        let floor = span.floor
        var i = span.top
        var sum = p.fullProduct(table.primeSum(index: table.count) - table.primeSum(index: i))
        guard floor < i else { return sum }
        // phi(t, b - 1) = 1 + S(t) - S(p_(b-1)): the p q (1 - S(p_(b-1))) part for all q at once,
        // then p q S(x / n) run by run where many q share π(x / n), else leaf by leaf.
        let qSum = table.primeSum(index: i) - table.primeSum(index: floor)
        var weighted: UInt128 = 0
        // While q > sqrt(x2), x / n < q and runs of q share π(x / n) = k: the q in
        // (x2 / p_(k+1), x2 / p_k], for each k in turn (some k have none). Stepping k rather than
        // from run to run leaves no step waiting on the last one's loads (π of a quotient, then
        // the primes at that index), which was a chain of misses per run.
        let runsEnd = max(floor, table.primeCount(min(integerSquareRoot(x2), plan.y)))
        if i > runsEnd {
            var k = table.primeCount(table.divide(x2, byPrimeAt: i))
            var upperSum = table.primeSum(index: i)
            while i > runsEnd {
                let run = max(runsEnd, table.primeCount(table.divide(x2, byPrimeAt: k + 1)))
                let runSum = table.primeSum(index: run)
                weighted &+= table.primeSum(index: k).fullProduct(upperSum - runSum)
                (i, upperSum) = (run, runSum)
                k += 1
            }
        }
        while i > floor {
            let t = table.divide(x2, byPrimeAt: i)
            weighted &+= UInt64(table.primes[i]).fullProduct(table.primeSum(t))
            i -= 1
        }
        let constant = 1 &- UInt128(table.primeSum(index: b - 1))
        sum &+= UInt128(p) &* (UInt128(qSum) &* constant &+ weighted)
        return sum
    }
}
