/// Sums over the set bits of a 64-bit word, by population counts: the count of set bits and
/// the sum of their positions, so a bit array of integers answers "sum of the marked ones".
enum BitSums {
    /// The sum of the positions (0...63) of the set bits: position bit k contributes 2^k for
    /// each set bit whose position has bit k, counted by one masked popcount per k.
    @inline(__always)
    static func positionSum(_ word: UInt64) -> UInt64 {
        UInt64((word & 0xAAAA_AAAA_AAAA_AAAA).nonzeroBitCount)
            &+ UInt64((word & 0xCCCC_CCCC_CCCC_CCCC).nonzeroBitCount) << 1
            &+ UInt64((word & 0xF0F0_F0F0_F0F0_F0F0).nonzeroBitCount) << 2
            &+ UInt64((word & 0xFF00_FF00_FF00_FF00).nonzeroBitCount) << 3
            &+ UInt64((word & 0xFFFF_0000_FFFF_0000).nonzeroBitCount) << 4
            &+ UInt64((word & 0xFFFF_FFFF_0000_0000).nonzeroBitCount) << 5
    }

    /// The word's bits below position `count` (0...64).
    @inline(__always)
    static func low(_ word: UInt64, _ count: Int) -> UInt64 {
        count >= 64 ? word : word & ((1 << UInt64(count)) &- 1)
    }
}
