/// Division of 64-bit integers by a divisor fixed in advance, by a multiply and shifts instead
/// of a hardware divide (Granlund and Montgomery's round-up method, as in libdivide).
///
/// Written by hand: no Swift package here offers it, and the prefix method divides by the same
/// primes over a billion times.
struct InvariantDivisor: Sendable {
    /// The magic multiplier; with the divisor it is all a table needs to keep.
    let multiplier: UInt64
    private let shift: UInt64

    /// A divisor d >= 2.
    init(_ divisor: UInt64) {
        precondition(divisor >= 2, "InvariantDivisor needs a divisor of at least 2")
        let shift = Self.shift(divisor)
        let numerator = (UInt128(1) << (shift + 1) - UInt128(divisor)) << 64
        multiplier = UInt64(numerator / UInt128(divisor)) &+ 1
        self.shift = shift
    }

    /// The divisor d rebuilt from its multiplier, as `init(d)` made it.
    @inline(__always)
    init(multiplier: UInt64, divisor: UInt64) {
        self.multiplier = multiplier
        shift = Self.shift(divisor)
    }

    /// ceil(log2 d) - 1.
    @inline(__always)
    private static func shift(_ divisor: UInt64) -> UInt64 { UInt64(63 - (divisor - 1).leadingZeroBitCount) }

    /// floor(dividend / d).
    @inline(__always)
    func divide(_ dividend: UInt64) -> UInt64 {
        let high = multiplier.multipliedFullWidth(by: dividend).high
        return (high &+ ((dividend &- high) >> 1)) >> shift
    }
}
