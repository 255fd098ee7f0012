import PrimeSumJobs
import Synchronization

/// The queue depth for admission (503 when full), read from the store at most every
/// `maxAge`: counting a long queue on every submit would cost more than the submit itself,
/// and admission does not need to be exact. Jobs this replica queues in between are added.
final class QueueDepthGauge: Sendable {
    private let store: any JobStore
    private let maxAge: Duration
    private let cached = Mutex<(depth: Int, at: ContinuousClock.Instant)?>(nil)

    init(store: any JobStore, maxAge: Duration = .milliseconds(500)) {
        self.store = store
        self.maxAge = maxAge
    }

    var depth: Int {
        get async throws {
            let now = ContinuousClock.now
            if let cached = cached.withLock({ $0 }), now - cached.at < maxAge { return cached.depth }
            let depth = try await store.queuedCount()
            cached.withLock { $0 = (depth, now) }
            return depth
        }
    }

    /// Counts a job this replica just queued, until the next read from the store.
    func admitted() {
        cached.withLock { if let current = $0 { $0 = (current.depth + 1, current.at) } }
    }
}
