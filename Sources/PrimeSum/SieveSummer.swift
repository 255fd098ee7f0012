/// The sieve method: primesieve enumerates the primes of [a, b) in chunks, one iterator per
/// chunk, and the chunks run on all threads; each chunk sums its primes in 128 bits.
struct SieveSummer: Sendable {
    let pool: ThreadPool

    func sum(_ range: PrimeRange, control: ComputeControl) throws(PrimeSumError) -> UInt128 {
        let chunks = Self.chunks(of: range, threads: pool.threads)
        control.setTotalWork(range.width)
        let progress = ProgressPart(control, units: range.width, budget: range.width)
        let partials = PartialSums(count: chunks.count)
        try pool.forEach(chunks.count) { (index) throws(PrimeSumError) in
            partials.set(index, try Self.sumChunk(chunks[index], progress: progress))
        }
        return partials.total
    }

    /// Splits the range so that every chunk is wide enough to repay its iterator's set-up (sieving
    /// primes up to sqrt(b)), while giving every thread work and some room to balance.
    static func chunks(of range: PrimeRange, threads: Int) -> [Range<UInt64>] {
        let threads = UInt64(max(1, threads))
        let setUpFloor = max(1 << 24, 32 * integerSquareRoot(range.b))
        var count = min(max(1, range.width / setUpFloor), threads * 4)
        if count < threads && range.width >= threads << 20 { count = threads }
        let step = range.width / count
        return (0..<count).map { index in
            let lower = range.a + index * step
            return lower..<(index == count - 1 ? range.b : lower + step)
        }
    }

    /// Sums the primes of one chunk with its own primesieve iterator.
    static func sumChunk(_ chunk: Range<UInt64>, progress: ProgressPart) throws(PrimeSumError) -> UInt128 {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var covered = chunk.lowerBound
        try PrimeBatches.forEach(from: chunk.lowerBound, below: chunk.upperBound, progress: progress) {
            primes in
            for prime in primes {
                if prime >= chunk.upperBound { break }
                let (sum, overflow) = low.addingReportingOverflow(prime)
                low = sum
                high &+= overflow ? 1 : 0
            }
            let last = primes[primes.count - 1]
            let reached =
                last >= chunk.upperBound - 1 || last == PrimeBatches.largestPrime64 ? chunk.upperBound : last
            progress.advance(by: reached - covered)
            covered = reached
        }
        progress.advance(by: chunk.upperBound - covered)
        return UInt128(high) << 64 | UInt128(low)
    }
}
