/// The ordinary leaves of phi(x, a): the sum over squarefree m <= L with every prime factor in
/// (13, y] of μ(m) m phi(x / m, c), phi(·, c) being `CoprimeSum`.
enum OrdinaryLeaves {
    /// The leaves of the part's slice of m in [1, L].
    static func sum(_ plan: CombinatorialPlan, part: PrefixSumPart, pool: ThreadPool, progress: ProgressPart)
        throws(PrimeSumError) -> UInt128
    {
        let slice = part.slice(of: 1..<(plan.leafLimit + 1))
        let pieces = max(1, min(Int(slice.count >> 16), pool.threads * 8))
        let step = UInt64(slice.count) / UInt64(pieces) + 1
        let partials = PartialSums(count: pieces)
        try pool.forEach(pieces) { (piece) throws(PrimeSumError) in
            try progress.checkCancellation()
            let first = slice.lowerBound + UInt64(piece) * step
            let last = min(first + step - 1, slice.upperBound - 1)
            guard first <= last else { return }
            var sum: UInt128 = 0
            // m runs over the integers coprime to 6 (the table holds no others).
            var m = FactorTable.atOrAbove(first)
            var stride = FactorTable.stepUp(from: m)
            while m <= last {
                let entry = plan.factors.entry(m)
                if entry != 0 && UInt64(entry >> 1) > 13 {
                    let leaf = UInt128(m) &* CoprimeSum.sum(upTo: plan.x / m)
                    sum = entry & 1 == 0 ? sum &+ leaf : sum &- leaf
                }
                m += stride
                stride = 6 - stride
            }
            partials.set(piece, sum)
            progress.advance(by: last - first + 1)
        }
        return partials.total
    }
}
