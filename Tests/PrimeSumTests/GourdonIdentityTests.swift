import Testing

@testable import PrimeSum

/// The identity that Gourdon's variant of the prefix method rests on, adapted from counting
/// primes to summing them (issue 29). Every term is computed directly for small x, with any
/// admissible y, z and k, and their total must be the sieve's S(x). The engine takes its
/// split with z = L (`CombinatorialPlan`): Phi0 is its ordinary leaves, D and the leaves of
/// Sigma and AC its special leaves, summed leaf by leaf (from the sieve below x^(1/4) and
/// wherever x / n >= y, from the prime table elsewhere) rather than by Sigma's closed forms.
///
/// With x^(1/3) <= y <= z <= sqrt x (floors), a = π(y), x4 = floor(x^(1/4)), phi(t, b) the sum
/// of the n <= t without a prime factor among the first b primes, and "leaf" meaning squarefree
/// with every prime in (p_k, y] (the primes the recursion from phi(x, a) splits off):
///
///     S(x) = S(y) - 1 - P2 + Phi0 + D + Sigma + AC
///     P2    = sum over y < p <= sqrt x of p (S(x / p) - S(p - 1))
///     Phi0  = sum over leaves n <= z of μ(n) n phi(x / n, k)
///     D     = -(sum over p = p_(b+1) <= x4 with k <= b < a, and leaves m in (z / p, z] with
///             primes above p, of μ(m) p m phi(x / (p m), b))
///
/// Above x4 a special leaf is p q with q prime in (max(p, z / p), y]: two primes above x4
/// exceed sqrt x >= z. And x / (p q) < p^2 (p^4 > x), so phi(x / (p q), b) is
/// 1 + S(x / (p q)) - S(p - 1) where x / (p q) >= p, else 1. With lo = max(p, z / p) and
/// hi = min(y, x / p^2), over x4 < p <= y:
///
///     Sigma = sum of p (S(y) - S(lo)) - p S(p - 1) (S(hi) - S(lo)), the second where hi > lo
///     AC    = sum of p (sum over primes q in (lo, hi] of q S(x / (p q)))
@Suite struct GourdonIdentityTests {
    @Test func theTermsAddUpToTheSievesSumForAnyYZAndK() {
        let limit = 100_000
        let tables = SmallTables(limit: limit)
        var generator = SplitMix64(seed: 29)
        for x in [64, 1000, 30_030, limit]
            + (0..<300).map({ _ in Int.random(in: 64...limit, using: &generator) })
        {
            let cubeRoot = Int(integerCubeRoot(UInt64(x)))
            let squareRoot = Int(integerSquareRoot(UInt64(x)))
            let y = Int.random(in: cubeRoot...min(squareRoot, 3 * cubeRoot), using: &generator)
            let z = Int.random(in: y...squareRoot, using: &generator)
            let k = Int.random(in: 0...min(tables.primeCount[y], CoprimeSum.primeCount), using: &generator)
            let terms = tables.gourdonTerms(x: x, y: y, z: z, k: k)
            #expect(terms.total == tables.primeSum[x], "x \(x), y \(y), z \(z), k \(k): \(terms)")
        }
    }

    /// Phi0's phi(t, k) for the engine's k is `CoprimeSum`, which the fast Phi0 will use.
    @Test func phiOfTheEnginesKIsTheCoprimeSum() {
        let tables = SmallTables(limit: 100_000)
        for t in [0, 1, 2, 16, 17, 30_029, 30_030, 30_031, 99_999] {
            #expect(tables.phi[CoprimeSum.primeCount][t] == Int(CoprimeSum.sum(upTo: UInt64(t))), "t \(t)")
        }
    }
}

/// The primes, π(t), S(t), μ(n), the least and greatest prime factor of every n up to a limit,
/// each from a plain sieve, and phi(t, b) for every b a y up to 3 limit^(1/3) can ask for.
private struct SmallTables {
    let primes: [Int]
    let primeCount: [Int]
    let primeSum: [Int]
    let mu: [Int]
    let least: [Int]
    let greatest: [Int]
    /// phi[b][t]: the sum of the n <= t without a prime factor among the first b primes.
    let phi: [[Int]]

    init(limit: Int) {
        var least = [Int](repeating: 0, count: limit + 1)
        var greatest = least
        var mu = [Int](repeating: 1, count: limit + 1)
        for p in 2...limit where least[p] == 0 {
            for n in stride(from: p, through: limit, by: p) {
                if least[n] == 0 { least[n] = p }
                greatest[n] = p
                mu[n] = -mu[n]
            }
            if p <= limit / p {
                for n in stride(from: p * p, through: limit, by: p * p) { mu[n] = 0 }
            }
        }
        let primes = (2...limit).filter { least[$0] == $0 }
        var (count, sum) = (0, 0)
        var primeCount = [Int](repeating: 0, count: limit + 1)
        var primeSum = primeCount
        for t in 2...limit {
            if least[t] == t { (count, sum) = (count + 1, sum + t) }
            (primeCount[t], primeSum[t]) = (count, sum)
        }
        let largestB = primeCount[3 * Int(integerCubeRoot(UInt64(limit)))]
        phi = (0...largestB).map { b in
            let bound = b == 0 ? 1 : primes[b - 1]
            var sum = 0
            return (0...limit).map { t in
                if t == 1 || (t > 1 && least[t] > bound) { sum += t }
                return sum
            }
        }
        (self.primes, self.primeCount, self.primeSum) = (primes, primeCount, primeSum)
        (self.mu, self.least, self.greatest) = (mu, least, greatest)
    }

    /// Whether n is squarefree with every prime in (low, high]; 1 is.
    func isLeaf(_ n: Int, above low: Int, upTo high: Int) -> Bool {
        n == 1 || (mu[n] != 0 && least[n] > low && greatest[n] <= high)
    }

    struct Terms: CustomStringConvertible {
        var primeSumToY = 0
        var p2 = 0
        var phi0 = 0
        var d = 0
        var sigma = 0
        var ac = 0
        var total: Int { primeSumToY - 1 - p2 + phi0 + d + sigma + ac }
        var description: String {
            "S(y) \(primeSumToY), P2 \(p2), Phi0 \(phi0), D \(d), Sigma \(sigma), AC \(ac)"
        }
    }

    /// Each term of the identity, directly.
    func gourdonTerms(x: Int, y: Int, z: Int, k: Int) -> Terms {
        let a = primeCount[y]
        let x4 = Int(integerSquareRoot(integerSquareRoot(UInt64(x))))
        let pk = k == 0 ? 1 : primes[k - 1]
        var terms = Terms()
        terms.primeSumToY = primeSum[y]
        for p in primes where p > y && p <= x / p {
            terms.p2 += p * (primeSum[x / p] - primeSum[p - 1])
        }
        for n in 1...z where isLeaf(n, above: pk, upTo: y) {
            terms.phi0 += mu[n] * n * phi[k][x / n]
        }
        for b in k..<a {
            let p = primes[b]
            if p <= x4 {
                for m in (z / p + 1)...z where isLeaf(m, above: p, upTo: y) {
                    terms.d -= mu[m] * p * m * phi[b][x / (p * m)]
                }
                continue
            }
            let (lo, hi) = (max(p, z / p), min(y, x / (p * p)))
            guard lo < y else { continue }
            terms.sigma += p * (primeSum[y] - primeSum[lo])
            guard hi > lo else { continue }
            terms.sigma -= p * primeSum[p - 1] * (primeSum[hi] - primeSum[lo])
            for q in primes[primeCount[lo]..<primeCount[hi]] {
                terms.ac += p * q * primeSum[x / (p * q)]
            }
        }
        return terms
    }
}
