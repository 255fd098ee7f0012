/// The Möbius function and the least prime factor of every odd m <= y, two bytes each: what
/// the leaves of the combinatorial method ask of m.
///
/// Written by hand: no library here tabulates either. An entry is 0 when m has a square
/// factor (μ(m) = 0), else its least prime factor (capped at `lpfCap`, which is above every
/// prime the leaves compare it with) shifted left once, with the low bit set when μ(m) = -1.
/// m = 1 has no prime factor: it reads as the cap, with μ = 1.
final class FactorTable: @unchecked Sendable {
    /// Least prime factors at or above this read as this; callers compare with primes below it.
    static let lpfCap: UInt64 = 32_767
    let limit: UInt64
    private let entries: UnsafeMutableBufferPointer<UInt16>

    /// The table for odd m <= limit, sieved with the odd primes of `primes`.
    init(limit: UInt64, primes: PrimeTable) {
        precondition(limit <= primes.limit && limit < Self.lpfCap * Self.lpfCap)
        self.limit = limit
        let size = Int(limit >> 1) + 1
        entries = .allocate(capacity: size)
        let unset = UInt16(Self.lpfCap << 1)
        entries.initialize(repeating: unset)
        var index = 2
        while index <= primes.count {
            let prime = UInt64(primes.primes[index])
            index += 1
            guard prime <= limit else { break }
            let tag = UInt16(min(prime, Self.lpfCap) << 1)
            // Odd multiples m = prime * k, k odd: entry (m - 1) / 2, stepping by prime.
            var entry = Int(prime >> 1)
            let step = Int(prime)
            while entry < size {
                let value = entries[entry]
                if value != 0 { entries[entry] = (value & ~1 == unset ? tag : value) ^ 1 }
                entry += step
            }
            let square = prime * prime
            guard square <= limit else { continue }
            entry = Int(square >> 1)
            let squareStep = Int(square)
            while entry < size {
                entries[entry] = 0
                entry += squareStep
            }
        }
    }

    deinit { entries.deallocate() }

    /// The bytes a table up to `limit` holds.
    static func bytes(limit: UInt64) -> UInt64 { (limit >> 1 + 1) * 2 }

    /// The entry of odd m <= limit (see the type's documentation).
    @inline(__always)
    func entry(_ m: UInt64) -> UInt16 { entries[Int(m >> 1)] }
}
