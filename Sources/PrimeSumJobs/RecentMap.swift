/// A dictionary that remembers only its last `capacity` keys.
public struct RecentMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var values: [Key: Value] = [:]
    private var order: [Key] = []
    private var oldest = 0
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Keys held (at most the capacity).
    public var count: Int { values.count }

    public subscript(key: Key) -> Value? { values[key] }

    /// Sets the value of `key`; a new key makes the map forget its oldest when full. Returns
    /// whether the key is new.
    @discardableResult
    public mutating func set(_ value: Value, for key: Key) -> Bool {
        guard values.updateValue(value, forKey: key) == nil else { return false }
        if order.count < capacity {
            order.append(key)
        } else {
            values[order[oldest]] = nil
            order[oldest] = key
            oldest = (oldest + 1) % capacity
        }
        return true
    }

    /// Forgets `key` now. Its slot in the eviction order stays until it comes round, which may
    /// forget a later re-insertion early: entries are hints, so that costs one extra try.
    public mutating func remove(_ key: Key) {
        values[key] = nil
    }
}
