/// The ordinary leaves of phi(x, a): the sum over squarefree m <= y with no prime factor up to
/// 13 of μ(m) m phi(x / m, c), phi(·, c) being `CoprimeSum`.
enum OrdinaryLeaves {
    static func sum(_ plan: CombinatorialPlan, pool: ThreadPool, progress: ProgressPart)
        throws(PrimeSumError) -> UInt128
    {
        let pieces = max(1, min(Int(plan.y >> 16), pool.threads * 8))
        let step = plan.y / UInt64(pieces) + 1
        let partials = PartialSums(count: pieces)
        try pool.forEach(pieces) { (piece) throws(PrimeSumError) in
            try progress.checkCancellation()
            let first = UInt64(piece) * step + 1
            let last = min(first + step - 1, plan.y)
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
