import ServiceLifecycle
import Synchronization

/// Whether the process is draining: set when graceful shutdown begins, read by /readyz and
/// by submits (503 while draining).
public final class DrainState: Service, Sendable {
    private let draining = Atomic<Bool>(false)

    public init() {}

    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    public func run() async throws {
        // Throws when cancelled instead: then the process is going away without a drain.
        guard (try? await gracefulShutdown()) != nil else { return }
        draining.store(true, ordering: .relaxed)
    }
}
