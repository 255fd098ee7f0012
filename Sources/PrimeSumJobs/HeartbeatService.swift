import Foundation
import Logging
import ServiceLifecycle

/// Writes this replica's heartbeat (`ReplicaHeartbeat`) to the store every `interval`, listed
/// for three intervals, so a replica that dies leaves the list within three; withdraws it on a
/// graceful shutdown. The console lists the replicas and adds up their activity from these.
public struct HeartbeatService: Service {
    private let store: any HeartbeatStore
    private let clock: StoreClock
    private let replica: ReplicaHeartbeat
    private let activity: ReplicaActivity
    private let interval: Duration
    private let logger: Logger

    /// `replica` gives the fields that do not change (name, role, workers, version, start);
    /// `clock` is the store's.
    public init(
        store: any HeartbeatStore, clock: StoreClock, replica: ReplicaHeartbeat, activity: ReplicaActivity,
        interval: Duration,
        logger: Logger
    ) {
        self.store = store
        self.clock = clock
        self.replica = replica
        self.activity = activity
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await beat(listedFor: interval * 3)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        if Task.isShuttingDownGracefully { await beat(listedFor: .zero) }
    }

    /// Writes the heartbeat as of now, listed for `listedFor` (zero withdraws it).
    public func beat(listedFor: Duration) async {
        let now = clock.now()
        var heartbeat = replica
        heartbeat.seenAt = now
        (heartbeat.running, heartbeat.activity) = activity.snapshot(now: now)
        do {
            try await store.record(heartbeat, until: now.addingTimeInterval(listedFor.timeInterval))
        } catch {
            logger.log(
                level: JobStoreError.logLevel(of: error), "could not write the heartbeat",
                metadata: ["error": "\(error)"])
        }
    }
}
