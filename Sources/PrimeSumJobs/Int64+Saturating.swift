import Foundation

extension Int64 {
    /// `value` rounded to the nearest integer and clamped into Int64's range, 0 for NaN: unlike
    /// `Int64(_:)`, it cannot trap, whatever a clock, the store or a computation handed over.
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 0x1p63 {
            self = .max
        } else if value <= -0x1p63 {
            self = .min
        } else {
            self = Int64(value.rounded())
        }
    }
}
