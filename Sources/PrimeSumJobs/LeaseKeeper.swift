import Foundation
import Logging
import Synchronization

/// The leases of every job a worker pool is running, renewed together: every interval, one
/// `JobStore.renewLeases` call carries all of them with their progress, however many jobs run
/// (a job of microseconds is never renewed at all). A job the store no longer holds under its
/// lease (cancelled, or requeued after its lease lapsed) is told so, and so is every job once
/// the pool's drain deadline has passed.
final class LeaseKeeper: Sendable {
    /// Why a running job must stop before its computation ends.
    enum Stop: Sendable {
        /// The store no longer holds the job under this lease.
        case lost
        /// The pool's drain deadline passed: the job goes back to the queue.
        case deadline
    }

    /// One running job: its lease, the progress its computation last reported, and the stop
    /// the keeper sends it.
    final class Held: Sendable {
        let lease: JobLease
        let progress = Mutex(0.0)
        private let stops: AsyncStream<Stop>
        private let sender: AsyncStream<Stop>.Continuation

        init(_ lease: JobLease) {
            self.lease = lease
            (stops, sender) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        }

        /// Waits for a stop; nil when the waiting task is cancelled or the job was released.
        func stopped() async -> Stop? {
            for await stop in stops { return stop }
            return nil
        }

        fileprivate func stop(_ stop: Stop) { sender.yield(stop) }
        fileprivate func release() { sender.finish() }
    }

    private let store: any JobStore
    private let lease: Duration
    private let interval: Duration
    private let logger: Logger
    private let held = Mutex<[UUID: Held]>([:])

    init(store: any JobStore, lease: Duration, interval: Duration, logger: Logger) {
        self.store = store
        self.lease = lease
        self.interval = interval
        self.logger = logger
    }

    /// Starts renewing the lease of `job`, which a worker has just claimed.
    func hold(_ job: Job) -> Held? {
        guard let lease = job.lease else { return nil }
        let entry = Held(lease)
        held.withLock { $0[lease.id] = entry }
        return entry
    }

    /// Stops renewing a job's lease: its computation ended.
    func release(_ entry: Held) {
        held.withLock { held in
            if held[entry.lease.id] === entry { held[entry.lease.id] = nil }
        }
        entry.release()
    }

    /// Renews every interval until cancelled; once `deadlinePassed` says so, stops every job
    /// instead.
    func run(deadlinePassed: @Sendable () -> Bool) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let running = held.withLock { Array($0.values) }
            if deadlinePassed() {
                for entry in running { entry.stop(.deadline) }
                continue
            }
            guard !running.isEmpty else { continue }
            do {
                let lost = try await store.renewLeases(
                    running.map { LeaseRenewal($0.lease, progress: $0.progress.withLock { $0 }) },
                    lease: lease)
                for entry in running where lost.contains(entry.lease.id) { entry.stop(.lost) }
            } catch {
                // The leases run on; the next round tries again well before they lapse.
                logger.log(
                    level: JobStoreError.logLevel(of: error), "could not renew leases",
                    metadata: ["jobs": "\(running.count)", "error": "\(error)"])
            }
        }
    }
}
