import Foundation

extension CostModel {
    /// Ranges whose sums make up the sum over `range`, each estimated at about `partSeconds` or
    /// more, so that several machines can compute one range at once; `[range]` when it is not
    /// worth splitting (its estimate is within `partSeconds`, or `partSeconds` is 0).
    ///
    /// - A sieve range is cut into equal widths (the sieve's cost per integer hardly changes
    ///   across a range), each wide enough that its primesieve set-up (the sieving primes up to
    ///   sqrt(b), again for every part) stays within `maximumSetUpShare` of its time: a larger
    ///   share buys more parts (more machines at once) with more work in all.
    /// - A prefix range [a, b) becomes [0, b) and [0, a), the second to subtract, when both
    ///   take at least `partSeconds`. One prefix sum stays whole here: the engine computes
    ///   S(x) in parts (`PrefixSumPart`), but their results (per-prime carries, not a sum)
    ///   have no place in the job store yet.
    public func parts(
        of range: PrimeRange, partSeconds: Double, maximumSetUpShare: Double = defaultSetUpShare
    ) -> [PrimeRange] {
        guard partSeconds > 0 else { return [range] }
        let estimate = estimate(range)
        guard estimate.seconds > partSeconds else { return [range] }
        switch estimate.method {
        case .prefix:
            guard range.a > 1,
                Self.prefixThreadSeconds(range.a - 1) / effectiveThreads >= partSeconds,
                let whole = try? PrimeRange(a: 0, b: range.b), let below = try? PrimeRange(a: 0, b: range.a)
            else { return [range] }
            return [whole, below]
        case .sieve, .auto:
            var count = min(Self.maximumParts, max(2, Int((estimate.seconds / partSeconds).rounded())))
            while count > 1, let part = try? PrimeRange(a: range.a, b: range.a + range.width / UInt64(count))
            {
                let (sieving, setUp) = sieveSeconds(part)
                if setUp <= maximumSetUpShare * (sieving + setUp) { break }
                count = count * 4 / 5
            }
            return equalParts(of: range, count: max(1, count))
        }
    }

    /// The share of a sieve part's time its set-up may take unless told otherwise: near 1e18
    /// (0.75 s of set-up) parts of 7.5 s or more. Fewer, longer parts would spend less on
    /// set-ups but leave cores idle longer while the last parts of a job run: with three
    /// workers on two cores, [1e18, 1e18 + 2e11) took 1.19x its unsplit time in 7 parts (5%)
    /// and 1.14x in 25 (2 s parts, about 25%); see BENCHMARKS.md.
    public static let defaultSetUpShare = 0.1
    /// More parts than any queue needs for one job.
    static let maximumParts = 10_000

    private func equalParts(of range: PrimeRange, count: Int) -> [PrimeRange] {
        let step = range.width / UInt64(count)
        return (0..<UInt64(count)).compactMap { index in
            let lower = range.a + index * step
            return try? PrimeRange(a: lower, b: index == UInt64(count) - 1 ? range.b : lower + step)
        }
    }
}
