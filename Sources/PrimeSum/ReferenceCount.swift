import CPrimesieve

/// primesieve's own prime count, the yardstick the sieve method is benchmarked against.
public enum ReferenceCount {
    /// The number of primes in the range, counted by primesieve on `threads` threads.
    public static func countPrimes(in range: PrimeRange, threads: Int) -> UInt64 {
        primesieve_set_num_threads(Int32(threads))
        defer { primesieve_set_num_threads(Int32(PrimeSumEngine().threads)) }
        return primesieve_count_primes(range.a, range.b - 1)
    }
}
