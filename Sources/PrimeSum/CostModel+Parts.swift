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
    ///   take at least `partSeconds`. One prefix sum stays whole here; `sumParts` cuts it
    ///   into pieces.
    public func parts(
        of range: PrimeRange, partSeconds: Double, maximumSetUpShare: Double = defaultSetUpShare
    ) -> [PrimeRange] {
        guard partSeconds > 0 else { return [range] }
        return parts(
            of: range, estimate: estimate(range), partSeconds: partSeconds,
            maximumSetUpShare: maximumSetUpShare)
    }

    /// `parts(of:partSeconds:maximumSetUpShare:)` for a range already estimated: a worker
    /// asks for the parts of every job it claims, tiny ones too, so the estimate is made once.
    private func parts(
        of range: PrimeRange, estimate: CostEstimate, partSeconds: Double, maximumSetUpShare: Double
    ) -> [PrimeRange] {
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

    /// `parts(of:partSeconds:maximumSetUpShare:)`, with each prefix sum S(x) estimated longer
    /// than twice `pieceSeconds` computed in pieces of about that long (`PrefixSumPart`): at
    /// most `maximumPieces`, so that the results a settling store reads and joins stay under
    /// 20 MB even at the top of the domain (about 2 MB the first piece there, later ones less:
    /// they carry only the primes their segments still sieve). A prefix range [a, b)
    /// with such a sum becomes [0, b) and [0, a) in pieces, the second subtracted, however
    /// short S(a - 1) is. `pieceSeconds` 0, or `partSeconds` 0, keeps every prefix sum whole.
    /// Each piece builds the method's tables again, so a piece should take well over their
    /// set-up (a second or two near 2^64).
    public func sumParts(
        of range: PrimeRange, partSeconds: Double, maximumSetUpShare: Double = defaultSetUpShare,
        pieceSeconds: Double
    ) -> [SumPart] {
        // `partSeconds` 0 keeps every job whole, prefix sums too.
        guard partSeconds > 0 else { return [.range(range)] }
        let estimate = estimate(range)
        let pieced = pieceSeconds > 0 && estimate.method == .prefix
        let ranges: [PrimeRange]
        if pieced, pieceCount(range.b - 1, pieceSeconds: pieceSeconds) > 1,
            let whole = try? PrimeRange(a: 0, b: range.b),
            let below = try? PrimeRange(a: 0, b: max(1, range.a))
        {
            ranges = range.a > 1 ? [whole, below] : [whole]
        } else {
            ranges = parts(
                of: range, estimate: estimate, partSeconds: partSeconds, maximumSetUpShare: maximumSetUpShare)
        }
        return ranges.flatMap { part -> [SumPart] in
            let count = pieced && part.a <= 1 ? pieceCount(part.b - 1, pieceSeconds: pieceSeconds) : 1
            guard count > 1 else { return [.range(part)] }
            return (0..<count).compactMap { index in
                (try? PrefixSumPart(x: part.b - 1, index: index, of: count)).map(SumPart.prefixPiece)
            }
        }
    }

    /// The pieces S(x) is computed in for pieces of about `pieceSeconds`: 1 when it is shorter
    /// than two.
    private func pieceCount(_ x: UInt64, pieceSeconds: Double) -> Int {
        let seconds = Self.prefixThreadSeconds(x) / effectiveThreads
        return min(Self.maximumPieces, max(1, Int(seconds / pieceSeconds)))
    }

    /// The most pieces one prefix sum is computed in.
    public static let maximumPieces = 12

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
