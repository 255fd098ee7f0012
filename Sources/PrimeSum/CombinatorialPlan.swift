import Foundation

/// The parameters and tables one S(x) of the combinatorial method shares between its parts.
///
/// With y = alpha x^(1/3), a = π(y), the leaves' limit L = alpha_z y (Gourdon's z) and phi(t, b)
/// the sum of the n <= t that have no prime factor among the first b primes:
///   S(x) = S(y) - 1 + phi(x, a) - P2(x, a)
///   phi(x, a) = ordinary leaves (the n <= L free of squares, with every prime in (13, y])
///               + special leaves (n = p m > L with m <= L; Deléglise–Rivat's split: hard ones
///               from a sieve up to x / L, easy and trivial ones from the prime table)
///   P2(x, a) = the sum of the n <= x that are a product of two primes above y.
/// With L = y this is Deléglise–Rivat's form; Gourdon's lets the sieve shrink without the
/// prime table growing.
struct CombinatorialPlan: Sendable {
    let x: UInt64
    let y: UInt64
    /// L: the ordinary leaves are at most L, the special ones above it.
    let leafLimit: UInt64
    /// x / L, the sieve's limit: every hard leaf's x / n is at most this.
    let sieveLimit: UInt64
    /// π(sqrt L): special leaves with a larger prime p have a prime m, above p.
    let piSqrtLeafLimit: Int
    /// π(sqrt(x / y)): the largest index of a prime with leaves that need the sieve (those of
    /// a prime m, x / (p m) >= y).
    let piMaxHard: Int
    let primes: PrimeTable
    let factors: FactorTable

    /// The index c of the first special leaves' prime minus one: phi(t, c) is `CoprimeSum`.
    static let c = CoprimeSum.primeCount

    /// The tables' bound on y and L (a FactorTable's entries stop at 32767^2); the fitted alphas
    /// stay far below it.
    static let maximumTableLimit: UInt64 = 1_000_000_000

    /// The smallest x the method takes; below it a sieve is faster than setting it up.
    static let minimumX: UInt64 = 1 << 20

    init(x: UInt64, tuning: PrefixTuning = PrefixTuning()) {
        precondition(x >= Self.minimumX)
        self.x = x
        (y, leafLimit) = Self.bounds(x: x, tuning: tuning)
        sieveLimit = x / leafLimit
        primes = PrimeTable(limit: y)
        factors = FactorTable(limit: leafLimit, primes: primes)
        piSqrtLeafLimit = primes.primeCount(integerSquareRoot(leafLimit))
        piMaxHard = primes.primeCount(min(integerSquareRoot(x / y), y))
    }

    /// y = alpha x^(1/3) (at least x^(1/3); at most sqrt x and `maximumTableLimit`) and the
    /// leaves' limit L = alpha_z y (at least y; at most sqrt x and `maximumTableLimit`).
    static func bounds(x: UInt64, tuning: PrefixTuning) -> (y: UInt64, leafLimit: UInt64) {
        let cubeRoot = integerCubeRoot(x)
        let root = integerSquareRoot(x)
        let wanted = UInt64(
            min((tuning.alpha ?? Self.alpha(x)) * Double(cubeRoot), Double(maximumTableLimit)))
        let y = min(max(wanted, cubeRoot), root, maximumTableLimit)
        let leafLimit = UInt64(min((tuning.alphaZ ?? Self.alphaZ) * Double(y), Double(maximumTableLimit)))
        return (y, min(max(leafLimit, y), root))
    }

    /// alpha_z, fitted with alpha on this machine (`primesum sum --alpha --alpha-z`, see
    /// BENCHMARKS.md): L = 2y with y half of Deléglise–Rivat's best took the same time within
    /// the noise from 1e13 to 1e18 and 11% less at 2^64, while the prime table, the bulk of the
    /// memory at large x, halved (S(1e18) peaked at 60 MB instead of 70); L = 3y was slower.
    static let alphaZ = 2.0

    /// alpha_y: a larger alpha moves work from the sieve to the prime table and the easy
    /// leaves. Half the alpha fitted on this machine for Deléglise–Rivat's form, where L was y
    /// (`primesum sum --alpha`, see BENCHMARKS.md: the time is flat within 20% of the best from
    /// 1e12 to 1e17), so that L = alpha_z y stays where that fit put it; bounded by x^(1/6),
    /// where y reaches sqrt x.
    static func alpha(_ x: UInt64) -> Double {
        min(max(1, log10(Double(x)) - 8), pow(Double(x), 1.0 / 6))
    }

    /// The largest index of a prime with hard leaves whose x / n reaches `low` or above.
    func maxHardIndex(low: UInt64) -> Int {
        guard low > 0 else { return piMaxHard }
        return min(piMaxHard, primes.primeCount(min(integerSquareRoot(x / low), y)))
    }
}

/// The largest r with r^3 <= n.
func integerCubeRoot(_ n: UInt64) -> UInt64 {
    var root = UInt64(pow(Double(n), 1.0 / 3))
    func cubeExceeds(_ r: UInt64) -> Bool {
        let (square, o1) = r.multipliedReportingOverflow(by: r)
        let (cube, o2) = square.multipliedReportingOverflow(by: r)
        return o1 || o2 || cube > n
    }
    while cubeExceeds(root) { root -= 1 }
    while !cubeExceeds(root + 1) { root += 1 }
    return root
}
