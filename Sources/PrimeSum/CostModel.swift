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
/// The constants were fitted to `primesum bench --calibrate` runs on the reference machine (AMD
/// EPYC, 2 cores; see BENCHMARKS.md), which measures the sieve at several magnitudes and the
/// prefix method's time per table update. Re-run it and paste its table here after an engine
/// change.
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
        (0, 0.15), (9, 0.15), (12, 0.22), (15, 0.35), (16, 0.47), (17, 0.62), (18, 1.0), (19.3, 1.6),
    ]
    /// Seconds one primesieve iterator spends preparing each sieving prime up to sqrt(b).
    static let sieveSetUpSecondsPerSievingPrime = 7e-9
    /// Seconds per table update of the prefix method on one thread.
    static let prefixSecondsPerOperation = 2.4e-9
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

    private var effectiveThreads: Double {
        return 1 + Double(min(threads, cores) - 1) * Self.parallelEfficiency
    }

    private func sieve(_ range: PrimeRange) -> CostEstimate {
        let chunks = SieveSummer.chunks(of: range, threads: threads).count
        let running = Double(min(chunks, threads))
        let sievingPrimes = primeCountEstimate(Double(integerSquareRoot(range.b)))
        let perInteger = Self.interpolate(Self.sieveNanosecondsPerInteger, at: log10(Double(range.b))) * 1e-9
        let sieving = Double(range.width) * perInteger / min(running, effectiveThreads)
        let setUp = Double(chunks) / running * sievingPrimes * Self.sieveSetUpSecondsPerSievingPrime
        let perIterator = 6_000_000 + 0.01 * Double(integerSquareRoot(range.b))
        return CostEstimate(
            method: .sieve, seconds: sieving + setUp, peakBytes: UInt64(running * perIterator))
    }

    private func prefix(_ range: PrimeRange) -> CostEstimate {
        let operations =
            Self.prefixOperations(Double(range.b - 1))
            + (range.a > 1 ? Self.prefixOperations(Double(range.a - 1)) : 0)
        let seconds = operations * Self.prefixSecondsPerOperation / effectiveThreads
        return CostEstimate(
            method: .prefix, seconds: seconds, peakBytes: LucyPrefixSum.peakBytes(n: range.b - 1))
    }

    /// The number of table updates of S(n), by integrating the update count over the density
    /// of primes: sum over p <= sqrt n of min(sqrt n, n / p^2) + max(0, sqrt n - p^2).
    static func prefixOperations(_ n: Double) -> Double {
        let root = n.squareRoot()
        guard root >= 2 else { return 0 }
        let steps = 256
        let logStart = log(2.0)
        let logEnd = log(root)
        let width = (logEnd - logStart) / Double(steps)
        var total = 0.0
        for step in 0..<steps {
            let t = exp(logStart + (Double(step) + 0.5) * width)
            let updates = min(root, n / (t * t)) + max(0, root - t * t)
            // dt = t * d(log t); density of primes 1 / log t.
            total += updates / log(t) * t * width
        }
        return total
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
