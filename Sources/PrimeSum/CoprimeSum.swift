/// phi(t, c) of the combinatorial method for its smallest c: the sum of the integers n <= t
/// coprime to 2 * 3 * 5 * 7 * 11 * 13, in constant time for any t < 2^64, modulo 2^128.
///
/// Written by hand (no library computes it): the coprime residues repeat with period
/// P = 30030, so with t = qP + r the sum is q full periods plus the residues up to r.
enum CoprimeSum {
    /// The primes every n counted here avoids.
    static let primes: [UInt64] = [2, 3, 5, 7, 11, 13]
    /// How many primes those are (c).
    static let primeCount = primes.count
    static let period: UInt64 = 30_030
    /// φ(P): coprime residues per period.
    static let perPeriod: UInt64 = 5_760

    /// (count, sum) of the residues 1...r coprime to P, for r < P.
    private static let prefix: [(count: UInt32, sum: UInt32)] = {
        var coprime = [Bool](repeating: true, count: Int(period))
        for prime in primes {
            for multiple in stride(from: 0, to: Int(period), by: Int(prime)) { coprime[multiple] = false }
        }
        var table = [(count: UInt32, sum: UInt32)](repeating: (0, 0), count: Int(period))
        var count: UInt32 = 0
        var sum: UInt32 = 0
        for r in 1..<Int(period) {
            if coprime[r] {
                count += 1
                sum += UInt32(r)
            }
            table[r] = (count, sum)
        }
        return table
    }()

    /// The sum of the n <= t with no prime factor up to 13, modulo 2^128.
    @inline(__always)
    static func sum(upTo t: UInt64) -> UInt128 {
        let q = t / period
        let (count, sum) = prefix[Int(t - q * period)]
        // Period k (0-based) adds k P φ(P) + P φ(P) / 2 (residues pair up as r, P - r): over q
        // periods P φ(P) q (q - 1) / 2 + q P φ(P) / 2 = q^2 (P φ(P) / 2).
        let q128 = UInt128(q)
        let full = q128 &* q128 &* UInt128(period * perPeriod / 2)
        return full &+ q128 &* UInt128(period) &* UInt128(count) &+ UInt128(sum)
    }
}
