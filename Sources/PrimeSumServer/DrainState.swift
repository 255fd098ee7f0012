import ServiceLifecycle
import Synchronization

/// Whether the process is draining: set when graceful shutdown begins, read by /readyz and
/// by submits (503 while draining).
public final class DrainState: Service, Sendable {
    private let draining = Atomic<Bool>(false)

    public init() {}

    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    public func run() async throws {
        try? await gracefulShutdown()
        draining.store(true, ordering: .relaxed)
    }
}
