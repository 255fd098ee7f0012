extension UInt64 {
    /// self * other as a 128-bit integer, by one 64 x 64 multiply (UInt128's operator makes
    /// three, not knowing both high halves are zero).
    @inline(__always)
    func fullProduct(_ other: UInt64) -> UInt128 {
        let (high, low) = multipliedFullWidth(by: other)
        return UInt128(high) << 64 | UInt128(low)
    }
}
