import CPrimesieve
import Foundation

/// The prefix method: S(n), the sum of the primes <= n, by Lucy_Hedgehog's algorithm in
/// O(n^(3/4)) time and O(sqrt n) memory.
///
/// No library here computes prime sums sublinearly, so this one is written by hand. For every
/// value v of the form n / i it keeps S(v) minus the composites sieved so far; sieving prime p
/// updates S(v) -= p * (S(v / p) - S(p - 1)) for every v >= p^2. Values below sqrt n fit in 64
/// bits (`small`), the others need 128 (`large`). One prime's updates are split into levels
/// whose reads and writes do not overlap, so each level runs in parallel without copies.
struct LucyPrefixSum: Sendable {
    let n: UInt64
    let root: Int
    let primes: [UInt64]

    /// Plans S(n): finds the sieving primes up to sqrt(n).
    init(n: UInt64) {
        self.n = n
        root = Int(integerSquareRoot(n))
        primes = Self.primes(upTo: UInt64(root))
    }

    /// The number of entry updates the run will make, its unit of progress.
    var operations: UInt64 {
        primes.reduce(0) { total, prime in
            let p = Int(prime)
            return total + UInt64(min(root, Int(n / (prime * prime))) + max(0, root - p * p + 1))
        }
    }

    /// The bytes the run holds at its peak: both tables and the sieving primes.
    static func peakBytes(n: UInt64) -> UInt64 {
        let root = integerSquareRoot(n)
        return (root + 1) * UInt64(2 * MemoryLayout<UInt64>.stride + MemoryLayout<UInt128>.stride)
            + UInt64(Double(root) / max(1, log(Double(root))) * 1.2) * 8
    }

    func run(pool: ThreadPool, control: ComputeControl) throws(PrimeSumError) -> UInt128 {
        guard n >= 2 else { return 0 }
        let tables = Tables(n: n, root: root)
        defer { tables.deallocate() }
        for prime in primes {
            try control.checkCancellation()
            let p = Int(prime)
            let largeCount = min(root, Int(n / (prime * prime)))
            try updateLarge(tables, prime: p, through: largeCount, pool: pool, control: control)
            if p * p <= root {
                try updateSmall(tables, prime: p, pool: pool, control: control)
            }
            control.advance(by: UInt64(largeCount + max(0, root - p * p + 1)))
        }
        return tables.large[1]
    }

    /// large[i] = S(n / i) reads large[i * p] or small[n / (i * p)], so index i must be updated
    /// before i * p: levels (last/p^k, last/p^(k-1)] run from the smallest indices upward.
    private func updateLarge(
        _ tables: Tables, prime p: Int, through last: Int, pool: ThreadPool, control: ComputeControl
    ) throws(PrimeSumError) {
        let base = UInt128(tables.small[p - 1])
        let factor = UInt128(p)
        let divisor = InvariantDivisor(UInt64(p))
        let root = self.root
        for level in Self.levels(from: last, divisor: p, floor: 0).reversed() {
            try Self.inPieces(level, pool: pool, control: control) { indices in
                // Wrapping arithmetic: every value stays in range by construction, and overflow
                // checks would cost a third of the loop.
                for i in indices {
                    let d = i &* p
                    let next =
                        d <= root
                        ? tables.large[d] : UInt128(tables.small[Int(divisor.divide(tables.quotients[i]))])
                    tables.large[i] &-= factor &* (next &- base)
                }
            }
        }
    }

    /// small[v] for v >= p^2 reads small[v / p]; grouping v by q = v / p, q must be read before it
    /// is written, so levels of q run from the largest down.
    private func updateSmall(
        _ tables: Tables, prime p: Int, pool: ThreadPool, control: ComputeControl
    ) throws(PrimeSumError) {
        let base = tables.small[p - 1]
        let factor = UInt64(p)
        let root = self.root
        for level in Self.levels(from: root / p, divisor: p, floor: p - 1) {
            try Self.inPieces(level, pool: pool, control: control, itemWeight: p) { quotients in
                for q in quotients {
                    let delta = factor &* (tables.small[q] &- base)
                    let first = q &* p
                    for v in first...min(first &+ p &- 1, root) { tables.small[v] &-= delta }
                }
            }
        }
    }

    /// The ranges (top/p, top], (top/p^2, top/p], … down to `floor` (exclusive), largest first.
    private static func levels(from top: Int, divisor: Int, floor: Int) -> [ClosedRange<Int>] {
        var levels: [ClosedRange<Int>] = []
        var upper = top
        while upper > floor {
            let lower = max(upper / divisor, floor)
            levels.append((lower + 1)...upper)
            upper = lower
        }
        return levels
    }

    /// Runs `body` over a level: inline when small, else in pieces across the pool. Cancellation
    /// is checked between pieces, so no piece runs long.
    private static func inPieces(
        _ range: ClosedRange<Int>, pool: ThreadPool, control: ComputeControl, itemWeight: Int = 1,
        _ body: (ClosedRange<Int>) -> Void
    ) throws(PrimeSumError) {
        let work = range.count * itemWeight
        let pieceWork = max(1 << 16, work / (pool.threads * 4))
        let pieces = max(1, work / pieceWork)
        if pieces == 1 {
            body(range)
            return
        }
        let step = (range.count + pieces - 1) / pieces
        try pool.forEach(pieces) { (index) throws(PrimeSumError) in
            try control.checkCancellation()
            let lower = range.lowerBound + index * step
            let upper = min(lower + step - 1, range.upperBound)
            if lower <= upper { body(lower...upper) }
        }
    }

    static func primes(upTo limit: UInt64) -> [UInt64] {
        guard limit >= 2 else { return [] }
        var count = 0
        guard let raw = primesieve_generate_primes(2, limit, &count, Int32(UINT64_PRIMES)) else { return [] }
        defer { primesieve_free(raw) }
        let typed = raw.assumingMemoryBound(to: UInt64.self)
        return Array(UnsafeBufferPointer(start: typed, count: count))
    }
}

/// The tables of one run, shared by the threads; each level's pieces touch disjoint entries.
private struct Tables: @unchecked Sendable {
    /// small[v] = S(v) so far, for v <= sqrt n.
    let small: UnsafeMutableBufferPointer<UInt64>
    /// large[i] = S(n / i) so far, for i <= sqrt n.
    let large: UnsafeMutableBufferPointer<UInt128>
    /// quotients[i] = n / i, kept so that n / (i * p) is one cheap division by the prime p.
    let quotients: UnsafeMutableBufferPointer<UInt64>

    init(n: UInt64, root: Int) {
        small = .allocate(capacity: root + 1)
        large = .allocate(capacity: root + 1)
        quotients = .allocate(capacity: root + 1)
        small[0] = 0
        large[0] = 0
        quotients[0] = 0
        for v in 1...root {
            let value = UInt64(v)
            small[v] = value.isMultiple(of: 2) ? value / 2 * (value + 1) - 1 : (value + 1) / 2 * value - 1
        }
        for i in 1...root {
            quotients[i] = n / UInt64(i)
            let value = UInt128(quotients[i])
            large[i] = value * (value + 1) / 2 - 1
        }
    }

    func deallocate() {
        small.deallocate()
        large.deallocate()
        quotients.deallocate()
    }
}
