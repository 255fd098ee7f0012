/// The primes of a range from the largest down, generated a block at a time in ascending order
/// and read back to front. primesieve's own descending iterator fills batches of about half a
/// million primes (4 MB), which made P2 the peak of a prefix sum's memory on every thread.
struct DescendingPrimes {
    /// A block's span of integers: at most about 25,000 primes (200 KB) above y, and primesieve
    /// sieves it in about 400 KB, against 850 KB for 2^20.
    static let blockLength: UInt64 = 1 << 18

    private let lower: UInt64
    /// The primes below this are not generated yet.
    private var blockLow: UInt64
    private var block: [UInt64] = []

    /// The primes p, `range.lowerBound <= p < range.upperBound`.
    init(_ range: Range<UInt64>) {
        lower = range.lowerBound
        blockLow = range.upperBound
    }

    /// The next prime down, or nil once the range has none left.
    mutating func next() -> UInt64? {
        while block.isEmpty {
            guard blockLow > lower else { return nil }
            let low = blockLow - min(Self.blockLength, blockLow - lower)
            block = PrimeBatches.array(from: low, through: blockLow - 1)
            blockLow = low
        }
        return block.removeLast()
    }
}
