import PrimeSumJobs
import Synchronization

/// The queue depth for admission (503 when full), read from the store at most every
/// `maxAge` and by one request at a time: counting a long queue on every submit would cost
/// more than the submit itself, and admission does not need to be exact. While one request
/// refreshes the count, the others use the previous one; jobs this replica queues in between
/// are added.
final class QueueDepthGauge: Sendable {
    private struct Reading {
        var depth: Int?
        var at: ContinuousClock.Instant?
        var refreshing = false
    }
    private let store: any JobStore
    private let maxAge: Duration
    private let reading = Mutex(Reading())

    init(store: any JobStore, maxAge: Duration = .milliseconds(500)) {
        self.store = store
        self.maxAge = maxAge
    }

    var depth: Int {
        get async throws {
            let now = ContinuousClock.now
            let known = reading.withLock { reading -> Int? in
                if let depth = reading.depth, let at = reading.at, now - at < maxAge || reading.refreshing {
                    return depth
                }
                reading.refreshing = true
                return nil
            }
            if let known { return known }
            do {
                let store = store
                let depth = try await StoreDeadline.run { try await store.queuedCount() }
                reading.withLock { $0 = Reading(depth: depth, at: now) }
                return depth
            } catch {
                reading.withLock { $0.refreshing = false }
                throw error
            }
        }
    }

    /// Counts a job this replica just queued, until the next read from the store.
    func admitted() {
        reading.withLock { reading in reading.depth = reading.depth.map { $0 + 1 } }
    }
}
