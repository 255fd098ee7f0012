import Foundation

/// The parameters and tables one S(x) of the combinatorial method shares between its parts.
///
/// With y = alpha x^(1/3), a = π(y), z = x / y and phi(t, b) the sum of the n <= t that have no
/// prime factor among the first b primes:
///   S(x) = S(y) - 1 + phi(x, a) - P2(x, a)
///   phi(x, a) = ordinary leaves + special leaves (Deléglise–Rivat's split: hard ones from a
///               sieve up to z, easy and trivial ones from the prime table)
///   P2(x, a) = the sum of the n <= x that are a product of two primes above y.
struct CombinatorialPlan: Sendable {
    let x: UInt64
    let y: UInt64
    /// The sieve's limit: every hard leaf's x / n is at most z.
    let z: UInt64
    /// π(sqrt y): special leaves with a larger prime have a prime m.
    let piSqrtY: Int
    /// π(sqrt z): the largest index of a prime whose leaves need the sieve.
    let piSqrtZ: Int
    let primes: PrimeTable
    let factors: FactorTable

    /// The index c of the first special leaves' prime minus one: phi(t, c) is `CoprimeSum`.
    static let c = CoprimeSum.primeCount

    /// The tables' bound on y (a FactorTable's entries stop at 32767^2); the fitted alpha stays
    /// far below it.
    static let maximumY: UInt64 = 1_000_000_000

    /// The smallest x the method takes; below it a sieve is faster than setting it up.
    static let minimumX: UInt64 = 1 << 20

    init(x: UInt64, alpha: Double? = nil) {
        precondition(x >= Self.minimumX)
        self.x = x
        (y, z) = Self.bounds(x: x, alpha: alpha)
        primes = PrimeTable(limit: y)
        factors = FactorTable(limit: y, primes: primes)
        piSqrtY = primes.primeCount(integerSquareRoot(y))
        piSqrtZ = primes.primeCount(min(integerSquareRoot(z), y))
    }

    /// y = alpha x^(1/3) (at least x^(1/3); at most sqrt x and `maximumY`) and z = x / y.
    static func bounds(x: UInt64, alpha: Double?) -> (y: UInt64, z: UInt64) {
        let cubeRoot = integerCubeRoot(x)
        let wanted = UInt64(min((alpha ?? Self.alpha(x)) * Double(cubeRoot), Double(maximumY)))
        let y = min(max(wanted, cubeRoot), integerSquareRoot(x), maximumY)
        return (y, x / y)
    }

    /// The tuning factor: a larger alpha moves work from the sieve (which shrinks as z = x / y)
    /// to the tables and the leaves of y. Fitted on this machine (`primesum sum --alpha`, see
    /// BENCHMARKS.md: the time is flat within 20% of the best from 1e12 to 1e17), bounded by
    /// x^(1/6), where y reaches sqrt x.
    static func alpha(_ x: UInt64) -> Double {
        min(max(1, 2 * log10(Double(x)) - 16), pow(Double(x), 1.0 / 6))
    }

    /// The largest index of a prime with hard leaves whose x / n reaches `low` or above.
    func maxHardIndex(low: UInt64) -> Int {
        guard low > 0 else { return piSqrtZ }
        return min(piSqrtZ, primes.primeCount(min(integerSquareRoot(x / low), y)))
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
