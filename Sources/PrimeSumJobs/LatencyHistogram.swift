import Foundation

/// Latencies counted in buckets a quarter of a power of two wide (each bound 19% above the one
/// before), from 0.1 ms. Written here rather than taken from HdrHistogram (which the load tool
/// uses) because replicas send theirs to each other through the store, as JSON, and merge them:
/// HdrHistogram has no form another process can read back.
public struct LatencyHistogram: Sendable, Equatable, Codable {
    /// `counts[i]`: latencies in [`lowerBound(i)`, `lowerBound(i + 1)`) ms; the first bucket
    /// also holds everything below 0.1 ms, the last everything from about 30 days up.
    public private(set) var counts: [Int] = []

    private static let smallest = 0.1
    private static let bucketsPerDoubling = 4.0
    private static let lastBucket = 150

    public init() {}

    /// How many latencies were recorded.
    public var total: Int { counts.reduce(0, +) }

    /// Counts a latency; a negative one, or not a number, counts as the smallest (never traps).
    public mutating func record(milliseconds: Double) {
        let bucket =
            milliseconds > Self.smallest
            ? Int(min(Double(Self.lastBucket), Self.bucketsPerDoubling * log2(milliseconds / Self.smallest)))
            : 0
        if counts.count <= bucket {
            counts.append(contentsOf: repeatElement(0, count: bucket + 1 - counts.count))
        }
        counts[bucket] += 1
    }

    public mutating func merge(_ other: LatencyHistogram) {
        if counts.count < other.counts.count {
            counts.append(contentsOf: repeatElement(0, count: other.counts.count - counts.count))
        }
        for (bucket, count) in other.counts.enumerated() { counts[bucket] += count }
    }

    /// The latency, in ms, that a `fraction` (0...1) of the recorded ones do not exceed: the upper
    /// bound of the bucket it falls in, so at most 19% above the true value. Nil when empty.
    public func percentile(_ fraction: Double) -> Double? {
        let total = total
        guard total > 0 else { return nil }
        let rank = max(1, Int((min(max(fraction, 0), 1) * Double(total)).rounded(.up)))
        var seen = 0
        for (bucket, count) in counts.enumerated() {
            seen += count
            if seen >= rank { return Self.lowerBound(bucket + 1) }
        }
        return Self.lowerBound(counts.count)
    }

    /// The lower bound of `bucket`, in ms.
    public static func lowerBound(_ bucket: Int) -> Double {
        smallest * pow(2, Double(bucket) / bucketsPerDoubling)
    }
}
