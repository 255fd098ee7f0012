import Foundation
import Synchronization
import Testing

@testable import PrimeSum

/// The combinatorial S(x) against independent methods: primesieve's sum, its own result under
/// other splits of the work, and each table it builds against a direct computation.
@Suite struct CombinatorialPrefixSumTests {
    private func combinatorial(_ x: UInt64, tuning: PrefixTuning = PrefixTuning(), threads: Int = 2) throws
        -> UInt128
    {
        try CombinatorialPrefixSum(x: x, tuning: tuning).run(
            pool: ThreadPool(threads: threads), control: ComputeControl(progress: nil))
    }

    private func sieved(_ x: UInt64) throws -> UInt128 {
        try SieveSummer(pool: ThreadPool(threads: 2)).sum(
            PrimeRange(a: 0, b: x + 1), control: ComputeControl(progress: nil))
    }

    @Test func matchesTheSieveForRandomXUpTo1e10() throws {
        var generator = SplitMix64(seed: 12)
        let edges: [UInt64] = [
            0, 1, 2, 3, CombinatorialPlan.minimumX - 1, CombinatorialPlan.minimumX,
            CombinatorialPlan.minimumX + 1, 30_030 * 64, 1 << 32, 10_000_000_000,
        ]
        let random = (0..<40).map { _ in UInt64(pow(10, Double.random(in: 6...10, using: &generator))) }
        for x in edges + random {
            #expect(try combinatorial(x) == sieved(x), "S(\(x))")
        }
    }

    /// alpha moves leaves between the sieve and the tables, and x^(1/6) moves y up to sqrt x;
    /// alpha_z moves the leaves' limit L from y (Deléglise–Rivat's form) up to sqrt x, where the
    /// ordinary leaves take every n <= L free of primes above y; one thread and two split the
    /// sieve's segments differently.
    @Test(arguments: [
        (1.0, 1.0), (2.5, 1.0), (7.0, 1.0), (100.0, 1.0), (1.0, 2.0), (2.5, 4.0), (5.0, 1.5), (1.0, 100.0),
    ])
    func resultDoesNotDependOnTheSplit(alpha: Double, alphaZ: Double) throws {
        let x: UInt64 = 1_000_000_000_000
        let expected: UInt128 = 18_435_588_552_550_705_911_377
        let tuning = PrefixTuning(alpha: alpha, alphaZ: alphaZ)
        #expect(try combinatorial(x, tuning: tuning, threads: 1) == expected)
        #expect(try combinatorial(x + 39, tuning: tuning, threads: 2) == expected + 1_000_000_000_039)
    }

    @Test func primeTableAnswersEveryPrefix() {
        let limit: UInt64 = 100_000
        let table = PrimeTable(limit: limit)
        var count = 0
        var sum: UInt64 = 0
        for t in 0...limit {
            if BruteForce.isPrime(t) {
                count += 1
                sum += t
                #expect(UInt64(table.primes[count]) == t)
            }
            #expect(table.primeCount(t) == count, "π(\(t))")
            #expect(table.primeSum(t) == sum, "S(\(t))")
        }
        #expect(table.count == count)
        #expect(table.primes[count + 1] == 100_003)
    }

    /// Besides μ and the least prime factor, an m with a prime factor above the prime table's
    /// limit y is no leaf (entry 0): with L above y the ordinary leaves run past the table.
    @Test(arguments: [200_001, 1_000] as [UInt64])
    func factorTableHoldsMuAndLeastPrimeFactorOfEveryMCoprimeTo6(primesUpTo y: UInt64) {
        let limit: UInt64 = 200_001
        let table = FactorTable(limit: limit, primes: PrimeTable(limit: y))
        var (checked, leaves) = (0, 0)
        for m in stride(from: UInt64(1), through: limit, by: 2) where m % 3 != 0 {
            checked += 1
            #expect(FactorTable.atOrBelow(m + 1) == m && FactorTable.atOrAbove(m - 1) == m || m == 1)
            var rest = m
            var mu = 1
            var least: UInt64 = .max
            var greatest: UInt64 = 1
            var factor: UInt64 = 3
            while factor * factor <= rest {
                if rest % factor == 0 {
                    least = min(least, factor)
                    greatest = factor
                    rest /= factor
                    mu = rest % factor == 0 ? 0 : -mu
                    while rest % factor == 0 { rest /= factor }
                }
                factor += 2
            }
            if rest > 1 {
                least = min(least, rest)
                greatest = rest
                mu = -mu
            }
            let entry = table.entry(m)
            if mu == 0 || greatest > y {
                #expect(entry == 0, "m = \(m)")
            } else {
                leaves += 1
                #expect(UInt64(entry >> 1) == min(least, FactorTable.lpfCap), "lpf(\(m))")
                #expect((entry & 1 == 1) == (mu == -1), "μ(\(m))")
            }
        }
        #expect(checked == 66_667)
        // Some m are leaves with the small table, far fewer than with the full one.
        #expect(leaves > 1_000 && (y < limit) == (leaves < 20_000), "\(leaves) leaves")
    }

    /// At the top of the domain, against inclusion–exclusion over the divisors of 30030:
    /// sum over d of μ(d) d T(t / d), with T(n) = n (n + 1) / 2, all modulo 2^128.
    @Test(arguments: [0, 1, 12, 13, 30_029, 30_030, 30_031, 1 << 40, UInt64.max - 1, UInt64.max] as [UInt64])
    func coprimeSumMatchesInclusionExclusion(t: UInt64) {
        var expected: UInt128 = 0
        for mask in 0..<(1 << CoprimeSum.primes.count) {
            var d: UInt64 = 1
            var sign = true
            for (bit, prime) in CoprimeSum.primes.enumerated() where mask >> bit & 1 == 1 {
                d *= prime
                sign.toggle()
            }
            let n = UInt128(t / d)
            let triangle = n * (n + 1) / 2
            let term = UInt128(d) &* triangle
            expected = sign ? expected &+ term : expected &- term
        }
        #expect(CoprimeSum.sum(upTo: t) == expected)
    }

    /// P2's queries come from the largest prime down, a block at a time: every prime of the
    /// range exactly once, in order, across block edges, in an empty range and at 2^64.
    @Test func descendingPrimesListEveryPrimeLargestFirst() {
        let block = DescendingPrimes.blockLength
        let ranges: [Range<UInt64>] = [
            5..<5, 0..<2, 0..<3, 0..<100, (block - 50)..<(block + 50), (2 * block - 1)..<(2 * block + 1),
            1_000_003..<(1_000_003 + 2 * block + 7), (UInt64.max - 2_000)..<UInt64.max,
        ]
        for range in ranges {
            var descending = DescendingPrimes(range)
            var listed: [UInt64] = []
            while let prime = descending.next() { listed.append(prime) }
            let expected = range.reversed().filter { BruteForce.isPrime($0) }
            #expect(listed == expected, "\(range)")
        }
    }

    /// Queries a bit apart, a few words apart and many blocks apart, so that a query starts and
    /// ends anywhere in a block of counted bits and in the segment's last, partial block.
    @Test func leafSieveSumsWhatIsLeft() {
        let low: UInt64 = 1 << 30
        let high = low + 100_000
        var sieve = LeafSieve(bits: 50_000)
        sieve.reset(low: low, high: high)
        var next = LeafSieve.Multiple(of: 17, from: low)
        sieve.crossOff(17, next: &next)
        #expect(next.value >= high && next.value < high + 6 * 17 && next.value % 17 == 0)
        #expect([1, 7, 11, 13, 17, 19, 23, 29].contains(next.value / 17 % 30))
        var generator = SplitMix64(seed: 29)
        for round in 0..<20 {
            sieve.rewind()
            let longestGap = [2, 200, 2_000, 20_000][round % 4]
            var expected: UInt128 = 0
            var n = low + 1
            var checkpoint = n + UInt64.random(in: 0...UInt64(longestGap), using: &generator)
            var checkpoints = 0
            while n < high {
                if [3, 5, 7, 11, 13, 17].allSatisfy({ n % $0 != 0 }) { expected += UInt128(n) }
                if n >= checkpoint || n + 2 >= high {
                    #expect(sieve.sum(through: n) == expected, "up to \(n)")
                    checkpoints += 1
                    checkpoint = n + UInt64.random(in: 1...UInt64(longestGap), using: &generator)
                }
                n += 2
            }
            #expect(sieve.totalSum == expected)
            #expect(checkpoints >= 50_000 / longestGap)
        }
    }
}
