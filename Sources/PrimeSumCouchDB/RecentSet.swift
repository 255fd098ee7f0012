/// A set that remembers only its last `capacity` insertions.
struct RecentSet {
    private var members: Set<String> = []
    private var order: [String] = []
    private var oldest = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Members held (at most the capacity).
    var count: Int { members.count }

    /// Inserts `member`, forgetting the oldest one when full; false when it is already there.
    mutating func insert(_ member: String) -> Bool {
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
    mutating func remove(_ member: String) {
        members.remove(member)
    }
}
