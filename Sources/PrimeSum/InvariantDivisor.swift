/// Division of 64-bit integers by a divisor fixed in advance, by a multiply and shifts instead
/// of a hardware divide (Granlund and Montgomery's round-up method, as in libdivide).
///
/// Written by hand: no Swift package here offers it, and the prefix method divides by the same
/// prime over a billion times.
struct InvariantDivisor: Sendable {
    private let multiplier: UInt64
    private let shift: UInt64

    /// A divisor d >= 2.
    init(_ divisor: UInt64) {
        precondition(divisor >= 2, "InvariantDivisor needs a divisor of at least 2")
        let log2Ceiling = UInt64(64 - (divisor - 1).leadingZeroBitCount)
        let numerator = (UInt128(1) << log2Ceiling - UInt128(divisor)) << 64
        multiplier = UInt64(numerator / UInt128(divisor)) &+ 1
        shift = log2Ceiling - 1
    }

    /// floor(dividend / d).
    @inline(__always)
    func divide(_ dividend: UInt64) -> UInt64 {
        let high = multiplier.multipliedFullWidth(by: dividend).high
        return (high &+ ((dividend &- high) >> 1)) >> shift
    }
}
