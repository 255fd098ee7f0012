import Foundation

/// The primes up to a limit y (< 2^32) by index, with π(t) and S(t), the count and the sum of
/// the primes <= t, for every t <= y in constant time.
///
/// Written by hand: primesieve generates the primes but answers no prefix queries. One 64-bit
/// mask per 128 integers marks the odd primes among them; next to it, the count and the sum of
/// the odd primes below the mask's first integer. About y / 5 bytes plus 4 bytes per prime.
final class PrimeTable: @unchecked Sendable {
    /// The limit the queries may reach.
    let limit: UInt64
    /// primes[i] is the i-th prime (primes[1] = 2); primes[0] = 0, and one prime past `limit`
    /// closes the list, so a query's next prime always exists.
    let primes: UnsafeMutableBufferPointer<UInt32>
    /// π(limit).
    let count: Int
    private let masks: UnsafeMutableBufferPointer<UInt64>
    private let countsBefore: UnsafeMutableBufferPointer<UInt32>
    private let sumsBefore: UnsafeMutableBufferPointer<UInt64>

    /// The table up to `limit`, which must be below 2^32 - 2^10 so that S(limit) < 2^64.
    init(limit: UInt64) {
        precondition(limit < 1 << 32 - 1 << 10, "PrimeTable holds primes below 2^32 only")
        self.limit = limit
        let listed = PrimeBatches.array(from: 2, through: limit + 1024)
        let inRange = listed.partitioningIndex { $0 > limit }
        count = inRange
        primes = .allocate(capacity: inRange + 2)
        primes[0] = 0
        for index in 0...inRange { primes[index + 1] = UInt32(listed[index]) }
        let words = Int(limit >> 7) + 1
        masks = .allocate(capacity: words)
        countsBefore = .allocate(capacity: words)
        sumsBefore = .allocate(capacity: words)
        masks.initialize(repeating: 0)
        for prime in listed[..<inRange] where prime > 2 {
            masks[Int(prime >> 7)] |= 1 << ((prime & 127) >> 1)
        }
        var runningCount: UInt32 = 0
        var runningSum: UInt64 = 0
        for word in 0..<words {
            countsBefore[word] = runningCount
            sumsBefore[word] = runningSum
            let mask = masks[word]
            runningCount += UInt32(mask.nonzeroBitCount)
            runningSum += Self.oddSum(mask, word: word)
        }
    }

    deinit {
        primes.deallocate()
        masks.deallocate()
        countsBefore.deallocate()
        sumsBefore.deallocate()
    }

    /// The bytes a table up to `limit` holds.
    static func bytes(limit: UInt64) -> UInt64 {
        let words = limit >> 7 + 1
        return words * 20 + UInt64(Double(limit) / max(1, log(Double(limit)) - 1.1)) * 4
    }

    /// π(t), for t <= limit.
    @inline(__always)
    func primeCount(_ t: UInt64) -> Int {
        guard t >= 2 else { return 0 }
        let word = Int(t >> 7)
        let mask = BitSums.low(masks[word], Int(((t & 127) + 1) >> 1))
        return Int(countsBefore[word]) + mask.nonzeroBitCount + 1
    }

    /// S(t), for t <= limit.
    @inline(__always)
    func primeSum(_ t: UInt64) -> UInt64 {
        guard t >= 2 else { return 0 }
        let word = Int(t >> 7)
        let mask = BitSums.low(masks[word], Int(((t & 127) + 1) >> 1))
        return sumsBefore[word] &+ Self.oddSum(mask, word: word) &+ 2
    }

    /// The sum of the odd integers 128 word + 2 j + 1 marked in `mask`.
    @inline(__always)
    private static func oddSum(_ mask: UInt64, word: Int) -> UInt64 {
        UInt64(mask.nonzeroBitCount) &* (UInt64(word) << 7 | 1) &+ BitSums.positionSum(mask) << 1
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
