import Synchronization

/// P2(x, a): the sum of the n <= x that are a product of two primes p <= q, both above y:
///   P2 = sum over primes y < p <= sqrt x of p (S(x / p) - S(p - 1)).
///
/// Both halves are weighted prefix sums of primes, sum of w S(t) over query points t, which one
/// pass of primesieve over the t's range answers: S(x / p) for x / p in (sqrt x, z], S(p - 1)
/// for p in (y, sqrt x]. The range is cut into chunks that run in parallel, each summing its
/// primes from zero; a chunk's queries are then shifted by the prime sum of the chunks before it.
enum SecondPartialSieveSum {
    /// The part's slices of both passes, as if their prime sums started at 0 (lower: the p in
    /// (y, sqrt x], upper: the x / p in (sqrt x, z]). With S(y) and the lower pass's whole
    /// prime sum, P2 = upper.weighted + upper.weight (S(y) + lower.primeSum)
    ///               - (lower.weighted + lower.weight S(y))   (`PrefixSumTerms`).
    static func sums(
        _ plan: CombinatorialPlan, part: PrefixSumPart, pool: ThreadPool, progress: ProgressPart
    ) throws(PrimeSumError) -> (lower: Sums, upper: Sums) {
        let x = plan.x
        let root = integerSquareRoot(x)
        guard root > plan.y else { return (Sums(), Sums()) }
        let passes = passes(plan)
        // The sum over p of p S(p - 1): the queries are the chunk's own primes.
        let lower = try weightedPrefixSums(
            over: part.slice(of: passes.lower), pool: pool, progress: progress
        ) { _ in .ownPrimes }
        // The sum over p of p S(x / p): the queries of the chunk [lo, hi) of x / p are the primes
        // p in (x / hi, x / lo], taken from the largest down so that x / p rises.
        let upper = try weightedPrefixSums(
            over: part.slice(of: passes.upper), pool: pool, progress: progress
        ) { range in
            let smallest = max(plan.y, x / range.upperBound) + 1
            // x / p = sqrt x (p = sqrt x) lies just below the first chunk: it asks for nothing.
            let largest = range.lowerBound == root + 1 ? root : min(root, x / range.lowerBound)
            return .quotients(of: x, primes: smallest..<max(smallest, largest + 1))
        }
        return (lower, upper)
    }

    /// The ranges both passes sieve.
    private static func passes(_ plan: CombinatorialPlan) -> (lower: Range<UInt64>, upper: Range<UInt64>) {
        let root = integerSquareRoot(plan.x)
        guard root > plan.y else { return (0..<0, 0..<0) }
        return ((plan.y + 1)..<(root + 1), (root + 1)..<(plan.x / plan.y + 1))
    }

    /// The progress units: the integers of the part's slices of both passes.
    static func units(_ plan: CombinatorialPlan, part: PrefixSumPart) -> UInt64 {
        let passes = passes(plan)
        return UInt64(part.slice(of: passes.lower).count + part.slice(of: passes.upper).count)
    }

    /// What a chunk's queries are.
    enum Queries {
        /// Each prime p of the chunk, weighted p, asks for the sum of the primes below it.
        case ownPrimes
        /// Each prime p, weighted p, asks for the sum of the primes up to x / p.
        case quotients(of: UInt64, primes: Range<UInt64>)
    }

    /// Sum of weight x (prime sum from the range's start to the query), the total weight, and
    /// the prime sum of the whole range.
    struct Sums: Sendable, Equatable {
        var weighted: UInt128 = 0
        var weight: UInt128 = 0
        var primeSum: UInt128 = 0

        /// These sums followed by those of the next range: its queries' prefix sums start
        /// after this range's primes.
        mutating func append(_ next: Sums) {
            weighted &+= next.weighted &+ next.weight &* primeSum
            weight &+= next.weight
            primeSum &+= next.primeSum
        }
    }

    /// The queries' weighted prefix sums over `range`, as if its prime sums started at 0.
    private static func weightedPrefixSums(
        over range: Range<UInt64>, pool: ThreadPool, progress: ProgressPart,
        queries: @Sendable (Range<UInt64>) -> Queries
    ) throws(PrimeSumError) -> Sums {
        guard !range.isEmpty else { return Sums() }
        let chunks = SieveSummer.chunks(
            of: try! PrimeRange(a: range.lowerBound, b: range.upperBound), threads: pool.threads)
        let results = Mutex([Sums](repeating: Sums(), count: chunks.count))
        try pool.forEach(chunks.count) { (index) throws(PrimeSumError) in
            let chunk = chunks[index]
            let sums = try chunkSums(chunk, queries: queries(chunk), progress: progress)
            results.withLock { $0[index] = sums }
            progress.advance(by: UInt64(chunk.count))
        }
        var total = Sums()
        for sums in results.withLock({ $0 }) { total.append(sums) }
        return total
    }

    private static func chunkSums(_ chunk: Range<UInt64>, queries: Queries, progress: ProgressPart)
        throws(PrimeSumError) -> Sums
    {
        var sums = Sums()
        var running: UInt128 = 0
        switch queries {
        case .ownPrimes:
            try PrimeBatches.forEach(from: chunk.lowerBound, below: chunk.upperBound, progress: progress) {
                batch in
                for prime in batch where prime < chunk.upperBound {
                    sums.weighted &+= UInt128(prime) &* running
                    sums.weight &+= UInt128(prime)
                    running &+= UInt128(prime)
                }
            }
        case .quotients(let x, let primes):
            // The p come from the largest down, so that x / p rises with the q.
            var descending = DescendingPrimes(primes)
            var p = descending.next()
            // x / p of the next query, divided once per p rather than once per q (a hardware
            // divide per q was 94% of P2's time at 1e16); past the last query, never below q.
            func quotient() -> UInt64 { p.map { x / $0 } ?? .max }
            var next = quotient()
            try PrimeBatches.forEach(from: chunk.lowerBound, below: chunk.upperBound, progress: progress) {
                batch in
                for q in batch where q < chunk.upperBound {
                    // Answer every query whose x / p lies below q before adding q.
                    while next < q, let query = p {
                        sums.weighted &+= UInt128(query) &* running
                        sums.weight &+= UInt128(query)
                        p = descending.next()
                        next = quotient()
                    }
                    running &+= UInt128(q)
                }
            }
            while let query = p {
                sums.weighted &+= UInt128(query) &* running
                sums.weight &+= UInt128(query)
                p = descending.next()
            }
        }
        sums.primeSum = running
        return sums
    }
}
