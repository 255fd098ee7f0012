/// Independent checks for the tests: trial division for small numbers and a deterministic
/// Miller-Rabin test (bases up to 37 are exact below 2^64) for large ones.
enum BruteForce {
    static func sum(_ a: UInt64, _ b: UInt64) -> UInt128 {
        var total: UInt128 = 0
        var n = a
        while n < b {
            if isPrime(n) { total += UInt128(n) }
            n += 1
        }
        return total
    }

    static func isPrime(_ n: UInt64) -> Bool {
        if n < 2 { return false }
        for p: UInt64 in [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37] {
            if n == p { return true }
            if n % p == 0 { return false }
        }
        var d = n - 1
        var s = 0
        while d % 2 == 0 {
            d /= 2
            s += 1
        }
        witnesses: for base: UInt64 in [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37] {
            var x = power(base, d, n)
            if x == 1 || x == n - 1 { continue }
            for _ in 0..<max(0, s - 1) {
                x = multiply(x, x, n)
                if x == n - 1 { continue witnesses }
            }
            return false
        }
        return true
    }

    private static func multiply(_ x: UInt64, _ y: UInt64, _ modulus: UInt64) -> UInt64 {
        UInt64(UInt128(x) * UInt128(y) % UInt128(modulus))
    }

    private static func power(_ base: UInt64, _ exponent: UInt64, _ modulus: UInt64) -> UInt64 {
        var result: UInt64 = 1
        var base = base % modulus
        var exponent = exponent
        while exponent > 0 {
            if exponent & 1 == 1 { result = multiply(result, base, modulus) }
            base = multiply(base, base, modulus)
            exponent >>= 1
        }
        return result
    }
}
