/// A set that remembers only its last `capacity` insertions.
public struct RecentSet<Member: Hashable>: Sendable where Member: Sendable {
    private var members: Set<Member> = []
    private var order: [Member] = []
    private var oldest = 0
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Members held (at most the capacity).
    public var count: Int { members.count }

    /// Whether `member` is held.
    public func contains(_ member: Member) -> Bool { members.contains(member) }

    /// Inserts `member`, forgetting the oldest one when full; false when it is already there.
    @discardableResult
    public mutating func insert(_ member: Member) -> Bool {
        guard members.insert(member).inserted else { return false }
        if order.count < capacity {
            order.append(member)
        } else {
            members.remove(order[oldest])
            order[oldest] = member
            oldest = (oldest + 1) % capacity
        }
        return true
    }

    /// Forgets `member` now. Its slot in the eviction order stays until it comes round, which
    /// may forget a later re-insertion early: members are hints, so that costs one extra try.
    public mutating func remove(_ member: Member) {
        members.remove(member)
    }
}
