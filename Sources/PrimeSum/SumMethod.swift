/// How a sum is computed.
public enum SumMethod: String, Sendable, CaseIterable, Codable {
    /// Let the cost model pick the cheaper of `sieve` and `prefix`.
    case auto
    /// Enumerate the primes of [a, b) with primesieve, in chunks across threads.
    case sieve
    /// S(b-1) - S(a-1), where S is the sublinear prefix sum of primes.
    case prefix
}
