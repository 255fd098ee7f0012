import Foundation

/// What a computation is expected to cost.
public struct CostEstimate: Sendable, Equatable, Codable {
    /// The method the estimate is for (never `auto`).
    public let method: SumMethod
    /// Expected wall-clock seconds on this machine class.
    public let seconds: Double
    /// Expected peak memory in bytes.
    public let peakBytes: UInt64
}

/// Predicts time and memory of both methods, so `auto` can pick the cheaper one and a service
/// can refuse or schedule work before it runs.
///
/// The constants were fitted to `primesum bench` runs on the reference machine (AMD EPYC, 2
/// cores; see BENCHMARKS.md), which time the sieve at several magnitudes and S(x) by the prefix
/// method from 1e11 up. Re-run it and refit them after an engine change.
public struct CostModel: Sendable {
    /// Threads one computation uses.
    public let threads: Int
    /// The cores this process may use, read once: Foundation reads it from the cgroup files on
    /// every call, which cost more than the estimate itself.
    private let cores: Int

    public init(threads: Int) {
        self.threads = max(1, threads)
        cores = ProcessInfo.processInfo.activeProcessorCount
    }

    /// (log10 of b, nanoseconds per integer of the range on one thread) for the sieve method.
    static let sieveNanosecondsPerInteger: [(Double, Double)] = [
        (0, 0.15), (9, 0.15), (12, 0.22), (15, 0.37), (16, 0.40), (17, 0.46), (18, 0.60), (19.3, 0.95),
    ]
    /// Seconds one primesieve iterator spends preparing each sieving prime up to sqrt(b).
    static let sieveSetUpSecondsPerSievingPrime = 7e-9
    /// And per sieving prime again while its segments grow to full size, over about the first
    /// sqrt(b) integers: a long range's time against its width has an intercept of 0.74 s at
    /// 1e18, twice the set-up alone (measured when jobs were first split into parts, which
    /// each pay it).
    static let sieveWarmUpSecondsPerSievingPrime = 8e-9
    /// (log10 of x, one thread's seconds per x^(2/3) / ln^2 x) for S(x) by the prefix method.
    /// Refitted on 2026-12-06 after the leaves' load chains and divides went (BENCHMARKS.md):
    /// `bench` for 1e11 ... 1e16, `bench --compare` for 1e17 and 1e18, [0, 2^64-1) as a `sum`.
    static let prefixSecondsPerUnit: [(Double, Double)] = [
        (6.3, 3e-5), (9, 1.6e-6), (11, 6.8e-7), (12, 3.8e-7), (13, 3.9e-7), (14, 3.7e-7), (15, 3.6e-7),
        (16, 3.5e-7), (17, 3.45e-7), (18, 3.45e-7), (19.27, 3.75e-7),
    ]
    /// Fraction of an extra thread's speed that parallel sections actually gain.
    static let parallelEfficiency = 0.9

    /// The estimate for `method`; with `auto`, the cheaper of the two methods in time.
    public func estimate(_ range: PrimeRange, method: SumMethod = .auto) -> CostEstimate {
        switch method {
        case .sieve: return sieve(range)
        case .prefix: return prefix(range)
        case .auto:
            let sieve = sieve(range)
            // The prefix method's set-up alone dwarfs any narrow range; skip its estimate there.
            guard range.width > 1 << 20 else { return sieve }
            let prefix = prefix(range)
            return prefix.seconds < sieve.seconds ? prefix : sieve
        }
    }

    var effectiveThreads: Double {
        return 1 + Double(min(threads, cores) - 1) * Self.parallelEfficiency
    }

    private func sieve(_ range: PrimeRange) -> CostEstimate {
        let (sieving, setUp) = sieveSeconds(range)
        let running = Double(min(SieveSummer.chunks(of: range, threads: threads).count, threads))
        let perIterator = 6_000_000 + 0.01 * Double(integerSquareRoot(range.b))
        return CostEstimate(
            method: .sieve, seconds: sieving + setUp, peakBytes: UInt64(running * perIterator))
    }

    /// The sieve method's seconds: sieving the range, and setting up its iterators (the
    /// sieving primes up to sqrt(b), once per chunk).
    func sieveSeconds(_ range: PrimeRange) -> (sieving: Double, setUp: Double) {
        let chunks = SieveSummer.chunks(of: range, threads: threads).count
        let running = Double(min(chunks, threads))
        let sievingPrimes = primeCountEstimate(Double(integerSquareRoot(range.b)))
        let perInteger = Self.interpolate(Self.sieveNanosecondsPerInteger, at: log10(Double(range.b))) * 1e-9
        let sieving = Double(range.width) * perInteger / min(running, effectiveThreads)
        let warmedUp = min(
            1, Double(range.width) / Double(chunks) / Double(max(1, integerSquareRoot(range.b))))
        let perSievingPrime =
            Self.sieveSetUpSecondsPerSievingPrime + warmedUp * Self.sieveWarmUpSecondsPerSievingPrime
        let setUp = Double(chunks) / running * sievingPrimes * perSievingPrime
        return (sieving, setUp)
    }

    /// S(b - 1) then S(a - 1), each on every thread; the memory is the larger one's.
    private func prefix(_ range: PrimeRange) -> CostEstimate {
        let threadSeconds =
            Self.prefixThreadSeconds(range.b - 1) + (range.a > 1 ? Self.prefixThreadSeconds(range.a - 1) : 0)
        return CostEstimate(
            method: .prefix, seconds: threadSeconds / effectiveThreads,
            peakBytes: CombinatorialPrefixSum.peakBytes(x: range.b - 1, threads: threads))
    }

    /// One thread's seconds for S(x): the method's x^(2/3) / ln^2 x times the measured constant
    /// (below the method's minimum x, a sieve of [0, x]).
    static func prefixThreadSeconds(_ x: UInt64) -> Double {
        guard x >= CombinatorialPlan.minimumX else {
            return Double(x) * sieveNanosecondsPerInteger[0].1 * 1e-9
        }
        let logX = log(Double(x))
        let unit = pow(Double(x), 2.0 / 3) / (logX * logX)
        return unit * interpolate(prefixSecondsPerUnit, at: log10(Double(x)))
    }

    private func primeCountEstimate(_ x: Double) -> Double { x < 3 ? 0 : x / (log(x) - 1.1) }

    private static func interpolate(_ table: [(Double, Double)], at x: Double) -> Double {
        guard let first = table.first, let last = table.last else { return 0 }
        if x <= first.0 { return first.1 }
        if x >= last.0 { return last.1 }
        let upper = table.firstIndex { $0.0 >= x }!
        let (x0, y0) = table[upper - 1]
        let (x1, y1) = table[upper]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    }
}
