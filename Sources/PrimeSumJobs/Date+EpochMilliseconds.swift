import Foundation

extension Date {
    /// Milliseconds since 1970, as stores keep instants and the API's `ttl` reports them
    /// (saturating: an instant past Int64's range reads as its end).
    public var epochMilliseconds: Int64 { Int64(saturating: timeIntervalSince1970 * 1000) }

    /// The instant `milliseconds` after 1970.
    public init(epochMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// Milliseconds from `start` to this instant, never negative: instants that two clocks
    /// disagree on come out as no time at all rather than as time running backwards.
    public func milliseconds(since start: Date) -> Int64 {
        max(0, Int64(saturating: timeIntervalSince(start) * 1000))
    }
}
