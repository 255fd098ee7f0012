/// One of `count` parts of S(x), the sum of the primes <= x, by the prefix method: the parts
/// can be computed anywhere, in any order, and `PrefixSumPartResult.combine` joins their results
/// into S(x) exactly.
///
/// Part k takes the k-th of `count` slices of every piece of the method (`CombinatorialPlan`):
/// the ordinary leaves' m and P2's sieve in equal widths, every count-th easy leaves' prime, and
/// a run of the hard leaves' segments of about equal work. Each part builds the tables up to y
/// itself, so a part should take well over their set-up (about a second at the top of the
/// domain) to be worth shipping.
public struct PrefixSumPart: Sendable, Hashable, CustomStringConvertible {
    public let x: UInt64
    /// 0..<count.
    public let index: Int
    public let count: Int

    /// More parts than any cluster computes one sum in.
    public static let maximumCount = 10_000

    public init(x: UInt64, index: Int, of count: Int) throws(PrimeSumError) {
        guard count >= 1 && count <= Self.maximumCount else {
            throw .invalidInput(field: "parts", reason: "must be 1 ... \(Self.maximumCount), not \(count)")
        }
        guard index >= 0 && index < count else {
            throw .invalidInput(field: "part", reason: "must be 0 ... \(count - 1), not \(index)")
        }
        self.x = x
        self.index = index
        self.count = count
    }

    /// The whole of S(x), as one part.
    init(whole x: UInt64) {
        self.x = x
        index = 0
        count = 1
    }

    public var description: String { "part \(index + 1) of \(count) of S(\(x))" }

    /// This part's slice of `range`: the index-th of `count` consecutive slices of equal width.
    func slice(of range: Range<UInt64>) -> Range<UInt64> {
        let width = UInt128(range.upperBound - range.lowerBound)
        func bound(_ k: Int) -> UInt64 { range.lowerBound + UInt64(width * UInt128(k) / UInt128(count)) }
        return bound(index)..<bound(index + 1)
    }
}
