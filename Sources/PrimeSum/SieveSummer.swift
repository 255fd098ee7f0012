import CPrimesieve
import Synchronization

/// The sieve method: primesieve enumerates the primes of [a, b) in chunks, one iterator per
/// chunk, and the chunks run on all threads; each chunk sums its primes in 128 bits.
struct SieveSummer: Sendable {
    let pool: ThreadPool

    /// The largest prime below 2^64.
    static let largestPrime64: UInt64 = 18_446_744_073_709_551_557

    func sum(_ range: PrimeRange, control: ComputeControl) throws(PrimeSumError) -> UInt128 {
        let chunks = Self.chunks(of: range, threads: pool.threads)
        control.setTotalWork(range.width)
        let partials = Mutex([UInt128](repeating: 0, count: chunks.count))
        try pool.forEach(chunks.count) { (index) throws(PrimeSumError) in
            let sum = try Self.sumChunk(chunks[index], control: control)
            partials.withLock { $0[index] = sum }
        }
        return partials.withLock { $0.reduce(0, +) }
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
    static func sumChunk(_ chunk: Range<UInt64>, control: ComputeControl) throws(PrimeSumError) -> UInt128 {
        guard chunk.lowerBound <= largestPrime64 else {
            control.advance(by: UInt64(chunk.count))
            return 0
        }
        var iterator = primesieve_iterator()
        primesieve_init(&iterator)
        defer { primesieve_free_iterator(&iterator) }
        primesieve_jump_to(&iterator, chunk.lowerBound, chunk.upperBound - 1)
        var low: UInt64 = 0
        var high: UInt64 = 0
        var covered = chunk.lowerBound
        while covered < chunk.upperBound {
            try control.checkCancellation()
            primesieve_generate_next_primes(&iterator)
            guard iterator.is_error == 0 else {
                throw .sieveFailure("could not generate the primes after \(covered)")
            }
            let primes = UnsafeBufferPointer(start: iterator.primes, count: iterator.size)
            for prime in primes {
                if prime >= chunk.upperBound { break }
                let (sum, overflow) = low.addingReportingOverflow(prime)
                low = sum
                high &+= overflow ? 1 : 0
            }
            // primesieve aborts the process when asked for a prime past the largest 64-bit one.
            let lastPrime = primes[primes.count - 1]
            let reached = lastPrime == largestPrime64 ? chunk.upperBound : min(lastPrime, chunk.upperBound)
            control.advance(by: reached - covered)
            covered = reached
        }
        return UInt128(high) << 64 | UInt128(low)
    }
}
