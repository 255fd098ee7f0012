import PrimeSum

/// The seed system's algorithm, kept only as the benchmark baseline the engine replaces: test
/// every integer of the range by trial division up to its square root.
enum TrialDivision {
    static func sum(_ range: PrimeRange) -> UInt128 {
        var total: UInt128 = 0
        for candidate in range.a..<range.b where isPrime(candidate) { total += UInt128(candidate) }
        return total
    }

    private static func isPrime(_ n: UInt64) -> Bool {
        if n < 2 { return false }
        var divisor: UInt64 = 2
        while divisor * divisor <= n {
            if n % divisor == 0 { return false }
            divisor += 1
        }
        return true
    }
}
