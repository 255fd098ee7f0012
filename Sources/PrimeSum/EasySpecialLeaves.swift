/// The special leaves n = p_b q (q a prime, p_b < q <= y) of the primes p_b above sqrt y whose
/// phi(x / n, b - 1) the prime table gives: x / n < p_b leaves only 1 (the trivial leaves),
/// x / n < y leaves 1 and the primes from p_b to x / n (the easy leaves, since x / n < p_b^2).
/// Each adds p_b q phi(x / n, b - 1); the rest (x / n >= y) are the sieve's.
enum EasySpecialLeaves {
    static func sum(_ plan: CombinatorialPlan, pool: ThreadPool, control: ComputeControl)
        throws(PrimeSumError) -> UInt128
    {
        let first = max(CombinatorialPlan.c, plan.piSqrtY) + 1
        let last = plan.primes.count
        guard first <= last else { return 0 }
        let pieces = min(last - first + 1, pool.threads * 32)
        let partials = PartialSums(count: pieces)
        // Piece k takes every pieces-th index, so cheap and costly indices mix in every piece.
        try pool.forEach(pieces) { (piece) throws(PrimeSumError) in
            var sum: UInt128 = 0
            var index = first + piece
            while index <= last {
                try control.checkCancellation()
                sum &+= leaves(of: index, plan)
                index += pieces
            }
            partials.set(piece, sum)
        }
        control.advance(by: plan.y)
        return partials.total
    }

    /// The trivial and easy leaves of the b-th prime.
    @inline(__always)
    private static func leaves(of b: Int, _ plan: CombinatorialPlan) -> UInt128 {
        let table = plan.primes
        let p = UInt64(table.primes[b])
        let x2 = plan.x / p
        let sumToY = UInt128(table.primeSum(plan.y))
        // Trivial: q > x / p^2, so x / (p q) < p and phi = 1.
        let trivialFloor = max(p, min(x2 / p, plan.y))
        var sum = UInt128(p) &* (sumToY &- UInt128(table.primeSum(trivialFloor)))
        // Easy: x / y < p q (x / n < y) and q <= x / p^2 (x / n >= p).
        let easyFloor = max(p, x2 / plan.y)
        guard easyFloor < trivialFloor else { return sum }
        // phi(t, b - 1) = 1 + S(t) - S(p_(b-1)): the p q (1 - S(p_(b-1))) part for all q at once,
        // then p q S(x / n) leaf by leaf, or run by run where many q share π(x / n).
        let below = UInt128(table.primeSum(p - 1))
        let qSum = UInt128(table.primeSum(trivialFloor)) &- UInt128(table.primeSum(easyFloor))
        var weighted: UInt128 = 0
        var i = table.primeCount(trivialFloor)
        while true {
            let q = UInt64(table.primes[i])
            guard q > easyFloor else { break }
            let t = x2 / q
            if t >= q {
                // x / n >= q: each leaf's x / n differs from the next's; no runs left.
                while UInt64(table.primes[i]) > easyFloor {
                    let q = UInt64(table.primes[i])
                    weighted &+= UInt128(q) &* UInt128(table.primeSum(x2 / q))
                    i -= 1
                }
                break
            }
            // Every q' in (x2 / p_(k+1), q] has π(x2 / q') = k = π(t).
            let k = table.primeCount(t)
            let runFloor = max(easyFloor, x2 / UInt64(table.primes[k + 1]))
            weighted &+= UInt128(table.primeSum(t)) &* (UInt128(table.primeSum(q)) &- UInt128(table.primeSum(runFloor)))
            i = table.primeCount(runFloor)
        }
        sum &+= UInt128(p) &* (qSum &* (1 &- below) &+ weighted)
        return sum
    }
}
