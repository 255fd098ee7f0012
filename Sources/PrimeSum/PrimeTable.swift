import Foundation

/// The primes up to a limit y (< 2^32) by index, with π(t) and S(t), the count and the sum of
/// the primes <= t, for every t <= y in constant time, and a divisor for each prime that
/// divides by a multiply.
///
/// Written by hand: primesieve generates the primes but answers no prefix queries. Per 256
/// integers, a block of 32 bytes holds two 64-bit masks of the odd primes among them and the
/// count and the sum of the odd primes before it, two blocks to a cache line: π(t) and S(t)
/// each read one line (the easy leaves ask S(t) at scattered t, and near 2^64 the tables no
/// longer fit the cache). 20 bytes per prime plus y / 8 bytes.
final class PrimeTable: @unchecked Sendable {
    /// The limit the queries may reach.
    let limit: UInt64
    /// primes[i] is the i-th prime (primes[1] = 2); primes[0] = 0, and one prime past `limit`
    /// closes the list, so a query's next prime always exists.
    let primes: UnsafeMutableBufferPointer<UInt32>
    /// π(limit).
    let count: Int
    /// sums[i] = S(primes[i]).
    private let sums: UnsafeMutableBufferPointer<UInt64>
    /// The `InvariantDivisor` multiplier of each prime.
    private let multipliers: UnsafeMutableBufferPointer<UInt64>
    /// Per 256 integers from 256 k: which odd integers 256 k + 2 j + 1 are prime (bit j of
    /// `masks.0`, then bit j - 64 of `masks.1`), and the count and sum of the odd primes below.
    private struct Block {
        var masks: (UInt64, UInt64)
        var countBefore: UInt64
        var sumBefore: UInt64
    }
    private static let blockShift: UInt64 = 8
    /// Aligned to a cache line, so that no block straddles two.
    private let blocks: UnsafeMutablePointer<Block>

    /// The table up to `limit`, which must be below 2^32 - 2^10 so that S(limit) < 2^64.
    init(limit: UInt64) {
        precondition(limit < 1 << 32 - 1 << 10, "PrimeTable holds primes below 2^32 only")
        self.limit = limit
        let listed = PrimeBatches.array(from: 2, through: limit + 1024)
        let inRange = listed.partitioningIndex { $0 > limit }
        count = inRange
        primes = .allocate(capacity: inRange + 2)
        sums = .allocate(capacity: inRange + 2)
        multipliers = .allocate(capacity: inRange + 2)
        primes[0] = 0
        sums[0] = 0
        multipliers[0] = 0
        var running: UInt64 = 0
        for index in 0...inRange {
            let prime = listed[index]
            running &+= prime
            primes[index + 1] = UInt32(prime)
            sums[index + 1] = running
            multipliers[index + 1] = InvariantDivisor(prime).multiplier
        }
        let blockCount = Int(limit >> Self.blockShift) + 1
        blocks = UnsafeMutableRawPointer.allocate(
            byteCount: blockCount * MemoryLayout<Block>.stride, alignment: 64
        ).bindMemory(to: Block.self, capacity: blockCount)
        blocks.initialize(repeating: Block(masks: (0, 0), countBefore: 0, sumBefore: 0), count: blockCount)
        for prime in listed[..<inRange] where prime > 2 {
            let bit = (prime & 255) >> 1
            let block = blocks + Int(prime >> Self.blockShift)
            if bit < 64 {
                block.pointee.masks.0 |= 1 << bit
            } else {
                block.pointee.masks.1 |= 1 << (bit - 64)
            }
        }
        var (count, sum): (UInt64, UInt64) = (0, 0)
        for index in 0..<blockCount {
            blocks[index].countBefore = count
            blocks[index].sumBefore = sum
            let base = UInt64(index) << Self.blockShift
            let masks = blocks[index].masks
            count += UInt64(masks.0.nonzeroBitCount + masks.1.nonzeroBitCount)
            sum += Self.sum(masks.0, first: base + 1) + Self.sum(masks.1, first: base + 129)
        }
    }

    deinit {
        primes.deallocate()
        sums.deallocate()
        multipliers.deallocate()
        UnsafeMutableRawPointer(blocks).deallocate()
    }

    /// The bytes a table up to `limit` holds.
    static func bytes(limit: UInt64) -> UInt64 {
        (limit >> blockShift + 1) * 32 + UInt64(Double(limit) / max(1, log(Double(limit)) - 1.1)) * 20
    }

    /// π(t), for t <= limit.
    @inline(__always)
    func primeCount(_ t: UInt64) -> Int {
        precondition(t <= limit, "π(t) asked past the prime table")
        guard t >= 2 else { return 0 }
        let block = blocks[Int(t >> Self.blockShift)]
        let bits = Int(((t & 255) + 1) >> 1)
        guard bits > 64 else {
            return Int(block.countBefore) + BitSums.low(block.masks.0, bits).nonzeroBitCount + 1
        }
        let upper = BitSums.low(block.masks.1, bits - 64)
        return Int(block.countBefore) + block.masks.0.nonzeroBitCount + upper.nonzeroBitCount + 1
    }

    /// S(t), for t <= limit.
    @inline(__always)
    func primeSum(_ t: UInt64) -> UInt64 {
        precondition(t <= limit, "S(t) asked past the prime table")
        guard t >= 2 else { return 0 }
        let block = blocks[Int(t >> Self.blockShift)]
        let base = t & ~255
        let bits = Int(((t & 255) + 1) >> 1)
        // 2, then the odd primes before the block and in it up to t.
        guard bits > 64 else {
            return block.sumBefore &+ 2 &+ Self.sum(BitSums.low(block.masks.0, bits), first: base + 1)
        }
        return block.sumBefore &+ 2 &+ Self.sum(block.masks.0, first: base + 1)
            &+ Self.sum(BitSums.low(block.masks.1, bits - 64), first: base + 129)
    }

    /// The sum of the odd integers first + 2 j marked by bit j of `mask`.
    @inline(__always)
    private static func sum(_ mask: UInt64, first: UInt64) -> UInt64 {
        UInt64(mask.nonzeroBitCount) &* first &+ BitSums.positionSum(mask) << 1
    }

    /// S(primes[index]).
    @inline(__always)
    func primeSum(index: Int) -> UInt64 { sums[index] }

    /// n / primes[index], by a multiply.
    @inline(__always)
    func divide(_ n: UInt64, byPrimeAt index: Int) -> UInt64 {
        InvariantDivisor(multiplier: multipliers[index], divisor: UInt64(primes[index])).divide(n)
    }
}
extension Collection {
    /// The index of the first element for which `belongs` is true, all such elements being last.
    func partitioningIndex(where belongs: (Element) -> Bool) -> Index {
        var low = startIndex
        var length = count
        while length > 0 {
            let half = length / 2
            let middle = index(low, offsetBy: half)
            if belongs(self[middle]) {
                length = half
            } else {
                low = index(after: middle)
                length -= half + 1
            }
        }
        return low
    }
}
