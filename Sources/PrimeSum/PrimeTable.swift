import Foundation

/// The primes up to a limit y (< 2^32) by index, with π(t) and S(t), the count and the sum of
/// the primes <= t, for every t <= y in constant time, and a divisor for each prime that
/// divides by a multiply.
///
/// Written by hand: primesieve generates the primes but answers no prefix queries. One 64-bit
/// mask per 128 integers marks the odd primes among them, next to the count of odd primes
/// before it; S(t) is the sum up to the π(t)-th prime, kept per index. 24 bytes per prime plus
/// y / 8 bytes.
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
    /// Per 128 integers, the mask of its odd primes and the count of the odd primes before it,
    /// side by side so that π(t) reads one cache line.
    private let words: UnsafeMutableBufferPointer<(mask: UInt64, countBefore: UInt64)>

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
        words = .allocate(capacity: Int(limit >> 7) + 1)
        words.initialize(repeating: (0, 0))
        for prime in listed[..<inRange] where prime > 2 {
            words[Int(prime >> 7)].mask |= 1 << ((prime & 127) >> 1)
        }
        var runningCount: UInt64 = 0
        for index in words.indices {
            words[index].countBefore = runningCount
            runningCount += UInt64(words[index].mask.nonzeroBitCount)
        }
    }

    deinit {
        primes.deallocate()
        sums.deallocate()
        multipliers.deallocate()
        words.deallocate()
    }

    /// The bytes a table up to `limit` holds.
    static func bytes(limit: UInt64) -> UInt64 {
        (limit >> 7 + 1) * 16 + UInt64(Double(limit) / max(1, log(Double(limit)) - 1.1)) * 20
    }

    /// π(t), for t <= limit.
    @inline(__always)
    func primeCount(_ t: UInt64) -> Int {
        precondition(t <= limit, "π(t) asked past the prime table")
        guard t >= 2 else { return 0 }
        let word = words[Int(t >> 7)]
        let mask = BitSums.low(word.mask, Int(((t & 127) + 1) >> 1))
        return Int(word.countBefore) + mask.nonzeroBitCount + 1
    }

    /// S(t), for t <= limit.
    @inline(__always)
    func primeSum(_ t: UInt64) -> UInt64 { sums[primeCount(t)] }

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
