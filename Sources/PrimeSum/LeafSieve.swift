/// One segment [low, high) of the special leaves' sieve: a bit per odd integer, set while the
/// integer has none of the primes crossed off so far as a factor, and the sums the leaves ask
/// for: the sum of the set integers up to a point.
///
/// Written by hand: the leaves need sums of unsieved integers between crossings-off, which no
/// sieve library exposes. Sums are kept "packed" in one UInt64, the count of integers above bit
/// 42 and the sum of their bit positions below it (a segment has at most 2^20 bits, so the
/// position sum stays under 2^40); an integer's value is low + 2 * position + 1. One packed
/// counter per 64-bit word lets a query add the whole words it passes in a tight loop and
/// count with popcounts only the word it stops in. (Counters per 128 or 256 bits, with more
/// words to count at the ends of a query, took 2% and 6% longer at 1e15: BENCHMARKS.md.)
/// Queries of one prime arrive in rising order, so each resumes where the last one stopped.
struct LeafSieve: ~Copyable {
    static let maxBits = 1 << 20
    private static let countShift: UInt64 = 42

    private let words: UnsafeMutablePointer<UInt64>
    private let counters: UnsafeMutablePointer<UInt64>
    private(set) var low: UInt64 = 0
    private var bitCount = 0
    /// Packed sum of every set bit.
    private var total: UInt64 = 0
    /// The queries' resume point: bits below `scanned` are summed in `scannedSum`.
    private var scanned = 0
    private var scannedSum: UInt64 = 0

    /// A sieve for segments of up to `bits` odd integers (at most `maxBits`).
    init(bits: Int) {
        precondition(bits > 0 && bits <= Self.maxBits)
        let wordCount = (bits + 63) / 64
        words = .allocate(capacity: wordCount + 1)
        counters = .allocate(capacity: wordCount + 1)
    }

    deinit {
        words.deallocate()
        counters.deallocate()
    }

    /// The bytes a sieve of `bits` bits holds.
    static func bytes(bits: Int) -> UInt64 { UInt64(bits / 8 * 2 + 128) }

    /// Starts the segment [low, high) (low even) with the integers coprime to 2 ... 13 set.
    mutating func reset(low: UInt64, high: UInt64) {
        precondition(low & 1 == 0 && high > low)
        self.low = low
        bitCount = Int((high - low) >> 1)
        let wordCount = (bitCount + 63) >> 6
        let pattern = PreSievePattern.words
        let period = PreSievePattern.periodBits
        var phase = Int((low >> 1) % UInt64(period))
        for word in 0..<wordCount {
            words[word] = pattern[phase]
            phase += 64
            if phase >= period { phase -= period }
        }
        if bitCount & 63 != 0 { words[wordCount - 1] = BitSums.low(words[wordCount - 1], bitCount & 63) }
        total = 0
        for word in 0..<wordCount {
            counters[word] = Self.packed(words[word], at: word << 6)
            total &+= counters[word]
        }
    }

    /// The sum of every integer still set in the segment.
    var totalSum: UInt128 { value(of: total) }

    /// Starts a rising series of `sum(through:)` queries.
    mutating func rewind() {
        scanned = 0
        scannedSum = 0
    }

    /// The sum of the set integers in [low, n], for n at or above the previous query's since
    /// `rewind()`.
    @inline(__always)
    mutating func sum(through n: UInt64) -> UInt128 {
        let end = n < low ? 0 : min(bitCount, Int((n - low + 1) >> 1))
        var bit = scanned
        var sum = scannedSum
        while bit < end {
            if bit & 63 == 0 && bit + 64 <= end {
                // The whole words up to end from their counters, in one tight loop of adds.
                for word in bit >> 6..<end >> 6 { sum &+= counters[word] }
                bit = end & ~63
                continue
            }
            let word = bit >> 6
            let stop = min((word + 1) << 6, end)
            var bits = (words[word] >> UInt64(bit & 63)) << UInt64(bit & 63)
            bits = BitSums.low(bits, stop - (word << 6))
            sum &+= Self.packed(bits, at: word << 6)
            bit = stop
        }
        scanned = bit
        scannedSum = sum
        return value(of: sum)
    }

    /// Where a prime's crossing-off stands: its next multiple p k and k's place on the wheel of
    /// the k coprime to 30 (the pre-sieve already cleared every other multiple).
    struct Multiple {
        var value: UInt64
        var wheelIndex: Int
    }

    /// The residues mod 30 coprime to 30.
    fileprivate static let wheelResidues = [1, 7, 11, 13, 17, 19, 23, 29]
    /// The gap from each residue to the next (6, 4, 2, 4, 2, 4, 6, 2), halved, two bits each.
    private static let halfGaps: UInt64 = 0x799B

    /// Clears the multiples of `prime` from `next` (at or above low) up to the segment's end,
    /// and leaves `next` at the first one past it.
    ///
    /// Branch-free, with wrapping arithmetic: whether a multiple is still set is as likely as
    /// not, and the mispredicted branch and the overflow checks were most of its cost (`perf`
    /// on S(1e15)). A multiple already cleared removes 0. Nothing wraps: multiples stay below
    /// the segment's end plus 6 p, far from 2^64.
    mutating func crossOff(_ prime: UInt64, next: inout Multiple) {
        let end = low &+ 2 &* UInt64(bitCount)
        let twicePrime = 2 &* prime
        var multiple = next.value
        var index = next.wheelIndex
        while multiple < end {
            let bit = (multiple &- low) &>> 1
            let word = Int(truncatingIfNeeded: bit &>> 6)
            let wasSet = words[word] &>> (bit & 63) & 1
            words[word] &= ~(1 &<< (bit & 63))
            let removed = (1 &<< Self.countShift | bit) &* wasSet
            counters[word] &-= removed
            total &-= removed
            multiple &+= (Self.halfGaps &>> UInt64(truncatingIfNeeded: 2 &* index) & 3) &* twicePrime
            index = (index &+ 1) & 7
        }
        next = Multiple(value: multiple, wheelIndex: index)
    }

    @inline(__always)
    private static func packed(_ bits: UInt64, at position: Int) -> UInt64 {
        let count = UInt64(bits.nonzeroBitCount)
        return count << countShift &+ count &* UInt64(position) &+ BitSums.positionSum(bits)
    }

    @inline(__always)
    private func value(of packed: UInt64) -> UInt128 {
        let count = packed >> Self.countShift
        let positions = packed & (1 << Self.countShift - 1)
        return UInt128(count) &* UInt128(low | 1) &+ UInt128(positions << 1)
    }
}

extension LeafSieve.Multiple {
    /// The first multiple p k >= start with k coprime to 30.
    init(of prime: UInt64, from start: UInt64) {
        var k = (start + prime - 1) / prime
        while !LeafSieve.wheelResidues.contains(Int(k % 30)) { k += 1 }
        self.init(value: k * prime, wheelIndex: LeafSieve.wheelResidues.firstIndex(of: Int(k % 30))!)
    }
}

/// The odd integers coprime to 3 * 5 * 7 * 11 * 13, as bits repeating every 15015 odd integers:
/// words[k] holds the 64 bits from bit k of the period on, so a segment starting at any phase
/// copies whole words.
enum PreSievePattern {
    static let periodBits = 15_015
    static let words: [UInt64] = {
        var coprime = [Bool](repeating: true, count: periodBits)
        for prime in [3, 5, 7, 11, 13] {
            // Odd multiples n = 2 bit + 1 of prime: bit = (prime - 1) / 2, then every prime bits.
            for bit in stride(from: (prime - 1) / 2, to: periodBits, by: prime) { coprime[bit] = false }
        }
        // Each word is the previous one moved down a bit, with the next bit of the period on top.
        var word: UInt64 = 0
        for offset in 0..<64 where coprime[offset] { word |= 1 << UInt64(offset) }
        var words = [UInt64](repeating: 0, count: periodBits)
        for start in 0..<periodBits {
            words[start] = word
            word = word >> 1 | (coprime[(start + 64) % periodBits] ? 1 << 63 : 0)
        }
        return words
    }()
}
