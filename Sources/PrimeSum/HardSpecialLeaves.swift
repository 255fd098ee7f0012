import Synchronization

/// The special leaves whose phi(x / n, b - 1) needs the sieve: n = p_b m with L < n, m <= L,
/// every prime factor of m in (p_b, y] and x / n <= x / L, for every p_b up to sqrt L (m
/// squarefree) and for the larger p_b up to sqrt(x / y) whose x / (p_b q) >= y (m = q prime).
/// Each adds -μ(m) p_b m phi(x / n, b - 1).
///
/// A segmented sieve over the odd integers of [0, x / L] answers them: in each segment the primes
/// are crossed off in order, and before p_b is, the leaves of p_b whose x / n falls in the
/// segment read the sum of what is still set. phi(low - 1, b - 1), what earlier segments left,
/// is carried per b.
///
/// Parallel in batches of chunks (runs of segments): a chunk starts its carries at 0 and
/// returns, per b, the total weight of its leaves and what its segments left; the batch is then
/// combined in order, adding weight x carry to the sum. Chunks within a batch are handed out as
/// threads free up, since early segments (many leaves, many primes) cost far more than late ones.
/// The parts of a split S(x) (`PrefixSumPart`) each take a run of segments and join the same way.
enum HardSpecialLeaves {
    /// The leaves whose x / n lies in `range` (a run of [0, x / L] starting at an even integer),
    /// as if nothing were sieved below it: carries start at 0 and the result says what to add
    /// for the segments before it (`ChunkResult.append`).
    static func sum(
        _ plan: CombinatorialPlan, range: Range<UInt64>, pool: ThreadPool, progress: ProgressPart
    ) throws(PrimeSumError) -> ChunkResult {
        let segment = segmentLength(plan.sieveLimit)
        var total = ChunkResult()
        var low = range.lowerBound
        var segmentsPerChunk: UInt64 = 1
        while low < range.upperBound {
            let chunkLength = segment * segmentsPerChunk
            let chunks = Int(
                min(UInt64(pool.threads * 4), (range.upperBound - low + chunkLength - 1) / chunkLength))
            let results = ChunkResults(count: chunks)
            let batchLow = low
            try pool.forEach(chunks) { (index) throws(PrimeSumError) in
                let chunkLow = batchLow + UInt64(index) * chunkLength
                let chunkHigh = min(chunkLow + chunkLength, range.upperBound)
                let result = try chunk(chunkLow..<chunkHigh, segment: segment, plan, progress: progress)
                results.set(index, result)
            }
            for result in results.all { total.append(result) }
            low = min(range.upperBound, low + UInt64(chunks) * chunkLength)
            // Leaves thin out as low grows: longer chunks keep the hand-out's cost negligible.
            if segmentsPerChunk < 64 { segmentsPerChunk *= 2 }
        }
        return total
    }

    /// The part's run of [0, x / L]: cut where the work below (`units(_:below:)`) reaches each
    /// k / count of the whole, since the first segments, crowded with leaves, cost far more
    /// than the last.
    static func range(_ plan: CombinatorialPlan, part: PrefixSumPart) -> Range<UInt64> {
        let limit = plan.sieveLimit + 1
        guard part.count > 1 else { return 0..<limit }
        let whole = UInt128(units(plan, below: limit))
        func boundary(_ k: Int) -> UInt64 {
            guard k > 0 else { return 0 }
            guard k < part.count else { return limit }
            let target = UInt64(whole * UInt128(k) / UInt128(part.count))
            var (low, high) = (UInt64(0), limit)
            while low < high {
                let middle = low + (high - low) / 2
                if units(plan, below: middle) >= target { high = middle } else { low = middle + 1 }
            }
            // A segment starts at an even integer.
            return low & ~1
        }
        return boundary(part.index)..<boundary(part.index + 1)
    }

    /// The work below t, in units of an integer sieved: the integers, the leaves' candidates
    /// whose x / n lies below t (the span of m scanned for the primes up to sqrt L, four for
    /// each leaf of a prime m, since each asks the sieve), which crowd the first segments, and
    /// each prime's pass over each segment it sieves (a rewind, a sum and a call to cross off).
    /// The weights were fitted to the hard leaves' times of the parts of S(1e15) and S(1e16)
    /// (`primesum sum --parts 8`): a candidate costs about 20 integers, a pass about 950.
    static func units(_ plan: CombinatorialPlan, below t: UInt64) -> UInt64 {
        let c = CombinatorialPlan.c
        guard plan.piMaxHard > c, t > 0 else { return t }
        let table = plan.primes
        let segment = segmentLength(plan.sieveLimit)
        var candidates: UInt64 = 0
        var passes: UInt64 = 0
        for b in (c + 1)...plan.piMaxHard {
            let p = UInt64(table.primes[b])
            let x2 = plan.x / p
            // p is sieved in the segments up to x / p^2 (`CombinatorialPlan.maxHardIndex`).
            passes += (min(t, x2 / p + 1) + segment - 1) / segment
            // x / (p m) < t when m > x2 / t.
            if b <= plan.piSqrtLeafLimit {
                let floor = max(plan.leafLimit / p, x2 / t)
                if plan.leafLimit > floor { candidates += plan.leafLimit - floor }
            } else {
                let top = min(plan.y, x2 / plan.y)
                let floor = max(p, x2 / t)
                if top > floor { candidates += 4 * UInt64(table.primeCount(top) - table.primeCount(floor)) }
            }
        }
        return t + 20 * candidates + 950 * passes
    }

    /// A segment's length in integers: about the square root of the sieve's limit, so each
    /// sieving prime crosses off at least a few multiples per segment, within the segment's
    /// limit of 2^20 odd integers.
    static func segmentLength(_ sieveLimit: UInt64) -> UInt64 {
        let root = integerSquareRoot(sieveLimit)
        var length: UInt64 = 1 << 16
        while length < root && length < UInt64(LeafSieve.maxBits) * 2 { length <<= 1 }
        return length
    }

    /// What one chunk adds: its leaves' terms with its own carries, and per b the leaves' total
    /// weight and what the chunk left at stage b - 1.
    struct ChunkResult: Sendable, Equatable {
        var sum: UInt128 = 0
        var weights: [UInt128] = []
        var left: [UInt128] = []

        /// This chunk followed by the next: the next one's leaves started from 0 where this one
        /// left `left`, so they add their weight x that.
        mutating func append(_ next: ChunkResult) {
            if weights.count < next.weights.count {
                weights += repeatElement(0, count: next.weights.count - weights.count)
                left += repeatElement(0, count: next.left.count - left.count)
            }
            sum &+= next.sum
            for b in 0..<next.weights.count {
                sum &+= next.weights[b] &* left[b]
                weights[b] &+= next.weights[b]
                left[b] &+= next.left[b]
            }
        }
    }

    private static func chunk(
        _ range: Range<UInt64>, segment: UInt64, _ plan: CombinatorialPlan, progress: ProgressPart
    ) throws(PrimeSumError) -> ChunkResult {
        let maxB = plan.maxHardIndex(low: range.lowerBound)
        var result = ChunkResult(
            weights: .init(repeating: 0, count: maxB + 1), left: .init(repeating: 0, count: maxB + 1))
        let c = CombinatorialPlan.c
        guard maxB > c else {
            progress.advance(by: range.upperBound - range.lowerBound)
            return result
        }
        let table = plan.primes
        // The next multiple of each sieving prime to cross off, from the prime itself on.
        var next = [LeafSieve.Multiple](repeating: .init(value: 0, wheelIndex: 0), count: maxB + 1)
        var cursors = [LeafCursor](repeating: LeafCursor(quotient: 0, floor: 0, next: 0), count: maxB + 1)
        for b in (c + 1)...maxB {
            let p = UInt64(table.primes[b])
            next[b] = LeafSieve.Multiple(of: p, from: max(p, range.lowerBound))
            cursors[b] = LeafCursor(b, plan, low: range.lowerBound)
        }
        var sieve = LeafSieve(bits: Int(segment >> 1))
        var low = range.lowerBound
        while low < range.upperBound {
            try progress.checkCancellation()
            let high = min(low + segment, range.upperBound)
            sieve.reset(low: low, high: high)
            let segmentMaxB = plan.maxHardIndex(low: low)
            var leafWork: UInt64 = 0
            var b = c + 1
            while b <= segmentMaxB {
                let p = UInt64(table.primes[b])
                let x2 = cursors[b].quotient
                sieve.rewind()
                var weight: UInt128 = 0
                var sum: UInt128 = 0
                if b <= plan.piSqrtLeafLimit {
                    // m a leaf (`FactorTable`), lpf(m) > p, L / p < m <= L, low <= x2 / m < high: m runs
                    // down from where the last segment stopped over the integers coprime to 6
                    // (the table holds no others).
                    var m = cursors[b].next
                    let floor = max(cursors[b].floor, x2 / high)
                    leafWork += m > floor ? m - floor : 0
                    var stride = 6 - FactorTable.stepUp(from: m)
                    while m > floor {
                        let entry = plan.factors.entry(m)
                        if UInt64(entry >> 1) > p {
                            // phi's share from this segment (`left[b]`, the rest, is added below).
                            let phiHere = sieve.sum(through: x2 / m)
                            // p m <= L^1.5 < 2^45 (L <= 1e9). -μ(m) p m: μ(m) = -1 has the
                            // entry's low bit set.
                            let term = UInt128(p &* m)
                            if entry & 1 == 0 {
                                weight &-= term
                                sum &-= term &* phiHere
                            } else {
                                weight &+= term
                                sum &+= term &* phiHere
                            }
                        }
                        m -= stride
                        stride = 6 - stride
                    }
                    cursors[b].next = m
                } else {
                    // m = q prime, p < q <= y, x / (p q) >= y, low <= x2 / q < high: q runs down
                    // from where the last segment stopped while x2 / q < high.
                    let top = cursors[b].next
                    var i = top
                    while i > cursors[b].floor {
                        let t = table.divide(x2, byPrimeAt: Int(i))
                        guard t < high else { break }
                        let phiHere = sieve.sum(through: t)
                        let term = UInt128(p &* UInt64(table.primes[Int(i)]))  // p q <= y^2 <= 1e18 < 2^64
                        weight &+= term
                        sum &+= term &* phiHere
                        i -= 1
                    }
                    leafWork += 4 * (top - i)
                    cursors[b].next = i
                }
                // Each leaf's phi also holds what earlier segments left, left[b]: weight x left[b]
                // for all of them at once, rather than a load and an add per leaf (4% at 1e15).
                result.weights[b] &+= weight
                result.sum &+= sum &+ weight &* result.left[b]
                result.left[b] &+= sieve.totalSum
                if b < segmentMaxB { sieve.crossOff(p, next: &next[b]) }
                b += 1
            }
            progress.advance(by: high - low + leafWork)
            low = high
        }
        return result
    }
}

/// Where the leaves of the b-th prime stand in a chunk: segments take them in rising x / n, so
/// each starts where the last one stopped, and no segment divides to find its first leaf.
private struct LeafCursor {
    /// x / p_b.
    var quotient: UInt64
    /// Where no leaf is left, at or below: L / p_b for m (b <= π(sqrt L)), else b, the index of
    /// p_b itself, for q.
    var floor: UInt64
    /// The next m to try (b <= π(sqrt L)), else the index of the next q.
    var next: UInt64

    init(quotient: UInt64, floor: UInt64, next: UInt64) {
        (self.quotient, self.floor, self.next) = (quotient, floor, next)
    }

    /// The cursor of the b-th prime at the chunk that starts at `low`: its leaves with x / n >= low.
    init(_ b: Int, _ plan: CombinatorialPlan, low: UInt64) {
        let p = UInt64(plan.primes.primes[b])
        quotient = plan.x / p
        let ceiling = low == 0 ? plan.leafLimit : quotient / low
        if b <= plan.piSqrtLeafLimit {
            floor = plan.leafLimit / p
            next = FactorTable.atOrBelow(min(plan.leafLimit, ceiling))
        } else {
            floor = UInt64(b)
            next = UInt64(plan.primes.primeCount(min(plan.y, quotient / plan.y, ceiling)))
        }
    }
}

/// The results of one batch's chunks, in chunk order.
private final class ChunkResults: Sendable {
    private let results: Mutex<[HardSpecialLeaves.ChunkResult?]>

    init(count: Int) { results = Mutex(.init(repeating: nil, count: count)) }

    func set(_ index: Int, _ result: HardSpecialLeaves.ChunkResult) {
        results.withLock { $0[index] = result }
    }

    var all: [HardSpecialLeaves.ChunkResult] { results.withLock { $0.map { $0! } } }
}
