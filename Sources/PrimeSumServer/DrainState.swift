import PrimeSumJobs
import ServiceLifecycle
import Synchronization

/// Whether the process is draining, read by /readyz, by submits (503 while draining) and by
/// long-polls (answered at once while draining).
///
/// It drains when its graceful shutdown begins. `primesum serve` runs it after the application
/// in one service group, so that it is the first to hear of a SIGTERM (a group stops its
/// services in reverse order): the HTTP server, stopped next, then waits for no held long-poll.
public final class DrainState: Service, Sendable {
    private let draining = Atomic<Bool>(false)
    private let feeds = Mutex<[JobChangeFeed]>([])

    public init() {}

    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Wakes the long-polls waiting on `feed` when draining begins.
    func wakesWaiters(of feed: JobChangeFeed) {
        feeds.withLock { $0.append(feed) }
    }

    public func run() async throws {
        // Throws when cancelled instead: then the process is going away without a drain.
        guard (try? await gracefulShutdown()) != nil else { return }
        begin()
    }

    /// Starts draining: the flag first, then the wake-ups, so that a long-poll woken reads it.
    func begin() {
        draining.store(true, ordering: .sequentiallyConsistent)
        for feed in feeds.withLock({ $0 }) { feed.publishEveryJob() }
    }
}
