/// The Möbius function and the least prime factor of every m <= L coprime to 6, two bytes
/// each: what the leaves of the combinatorial method ask of m (they only take m free of the
/// primes up to 13, so the others are not kept; m = 6k ± 1 sits at m / 3).
///
/// Written by hand: no library here tabulates either. An entry is 0 when m is no leaf: it has
/// a square factor (μ(m) = 0) or a prime factor above y, the prime table's limit. Else it is
/// m's least prime factor (capped at `lpfCap`, which is above every prime the leaves compare
/// it with) shifted left once, with the low bit set when μ(m) = -1. m = 1 has no prime
/// factor: it reads as the cap, with μ = 1.
final class FactorTable: @unchecked Sendable {
    /// Least prime factors at or above this read as this; callers compare with primes below it.
    static let lpfCap: UInt64 = 32_767
    private let entries: UnsafeMutableBufferPointer<UInt16>

    /// The table for the m <= limit coprime to 6, sieved with the primes from 5 on of `primes`;
    /// the multiples of the primes above `primes.limit` are no leaves.
    init(limit: UInt64, primes: PrimeTable) {
        precondition(limit < Self.lpfCap * Self.lpfCap)
        let size = Int(limit / 3) + 1
        entries = .allocate(capacity: size)
        let unset = UInt16(Self.lpfCap << 1)
        entries.initialize(repeating: unset)
        var index = 3
        while index <= primes.count {
            let prime = UInt64(primes.primes[index])
            index += 1
            guard prime <= limit else { break }
            let tag = UInt16(min(prime, Self.lpfCap) << 1)
            Self.forEachMultiple(of: prime, upTo: limit) { m in
                let value = entries[Int(m / 3)]
                if value != 0 { entries[Int(m / 3)] = (value & ~1 == unset ? tag : value) ^ 1 }
            }
            guard prime * prime <= limit else { continue }
            Self.forEachMultiple(of: prime * prime, upTo: limit) { m in entries[Int(m / 3)] = 0 }
        }
        for prime in PrimeBatches.array(from: primes.limit + 1, through: limit) {
            Self.forEachMultiple(of: prime, upTo: limit) { m in entries[Int(m / 3)] = 0 }
        }
    }

    deinit { entries.deallocate() }

    /// The bytes a table up to `limit` holds.
    static func bytes(limit: UInt64) -> UInt64 { (limit / 3 + 1) * 2 }

    /// The entry of m <= limit coprime to 6 (see the type's documentation).
    @inline(__always)
    func entry(_ m: UInt64) -> UInt16 { entries[Int(m / 3)] }

    /// The largest m' <= m coprime to 6 (0 for m = 0).
    static func atOrBelow(_ m: UInt64) -> UInt64 {
        switch m % 6 {
        case 0: m == 0 ? 0 : m - 1
        case 1, 5: m
        case 2: m - 1
        case 3: m - 2
        default: m - 3
        }
    }

    /// The smallest m' >= m coprime to 6.
    static func atOrAbove(_ m: UInt64) -> UInt64 {
        guard m > 1 else { return 1 }
        let below = atOrBelow(m - 1)
        return below + stepUp(from: below)
    }

    /// The step from m (coprime to 6) to the next such integer above it; the step after that is
    /// 6 minus this one.
    static func stepUp(from m: UInt64) -> UInt64 { m % 6 == 1 ? 4 : 2 }

    /// Calls `body` with every multiple d k <= limit of d with k coprime to 6, rising.
    private static func forEachMultiple(of d: UInt64, upTo limit: UInt64, _ body: (UInt64) -> Void) {
        var m = d
        var step = 4 * d
        while m <= limit {
            body(m)
            m += step
            step = 6 * d - step
        }
    }
}
