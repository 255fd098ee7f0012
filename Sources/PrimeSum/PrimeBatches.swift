import CPrimesieve

/// The primes of a range, handed out in primesieve's own batches: the one loop every part of the
/// engine that walks primes shares.
enum PrimeBatches {
    /// The largest prime below 2^64.
    static let largestPrime64: UInt64 = 18_446_744_073_709_551_557

    /// Calls `body` with successive ascending batches of the primes p, `lower <= p < upper`,
    /// checking for cancellation between batches. The last batch may hold primes at or past
    /// `upper`, which `body` ignores.
    static func forEach(
        from lower: UInt64, below upper: UInt64, progress: ProgressPart,
        _ body: (UnsafeBufferPointer<UInt64>) -> Void
    ) throws(PrimeSumError) {
        guard lower < upper, lower <= largestPrime64 else { return }
        var iterator = primesieve_iterator()
        primesieve_init(&iterator)
        defer { primesieve_free_iterator(&iterator) }
        primesieve_jump_to(&iterator, lower, upper - 1)
        while true {
            try progress.checkCancellation()
            primesieve_generate_next_primes(&iterator)
            guard iterator.is_error == 0 else {
                throw .sieveFailure("could not generate the primes from \(lower)")
            }
            let primes = UnsafeBufferPointer(start: iterator.primes, count: iterator.size)
            body(primes)
            // primesieve aborts the process when asked for a prime past the largest 64-bit one.
            let last = primes[primes.count - 1]
            if last >= upper - 1 || last == largestPrime64 { return }
        }
    }

    /// The primes p, `lower <= p <= upper`, as one array.
    static func array(from lower: UInt64, through upper: UInt64) -> [UInt64] {
        guard lower <= upper, upper >= 2 else { return [] }
        var count = 0
        guard let raw = primesieve_generate_primes(lower, upper, &count, Int32(UINT64_PRIMES)) else {
            return []
        }
        defer { primesieve_free(raw) }
        return Array(UnsafeBufferPointer(start: raw.assumingMemoryBound(to: UInt64.self), count: count))
    }
}
