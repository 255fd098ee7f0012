import Foundation
import Synchronization

/// The one clock a store's timestamps and leases come from (DESIGN.md "Clocks").
///
/// It reads this replica's clock shifted by the offset to the store server's own clock, where
/// the store has one (PostgreSQL's `clock_timestamp()`, Redis's `TIME`, CouchDB's `Date`
/// header): replicas whose clocks disagree then still stamp jobs and judge leases on one clock.
/// A store without a server clock (memory, SQLite) never records a sample and reads the local
/// clock unchanged.
///
/// Each sample brackets the server's time between the local instants its request left and its
/// answer arrived, so it bounds the offset to an interval as wide as the round trip (plus the
/// server clock's resolution). The clock keeps the intersection of the samples, widened with
/// age for drift, and reads at its middle: the estimate tightens with every sample, and a step
/// of the server's clock (the intersection comes out empty) starts it afresh.
///
/// The local instants are this replica's wall clock as it read at start, carried forward by the
/// monotonic clock: a step of the wall clock (an NTP step, a clock set by hand) moves neither
/// the samples nor the store's time read between them. Read through the wall clock, a replica
/// whose clock stepped 21 s ahead judged every lease lapsed until its next sample, and its
/// cleaner failed a running job out of attempts within 3 s (`scripts/nemesis`, clock-skew).
public final class StoreClock: Sendable {
    /// The bounds of (server clock - local clock), in seconds, and when they were last narrowed.
    private struct Bounds {
        var lower: TimeInterval
        var upper: TimeInterval
        var at: Date
    }

    private let local: @Sendable () -> Date
    /// The wall clock and the monotonic clock read together at start.
    private let anchor: (wall: Date, instant: ContinuousClock.Instant)
    private let bounds = Mutex<Bounds?>(nil)
    /// How fast two healthy clocks drift apart at most (NTP's bound is 500 ppm), in s/s.
    private static let drift = 500e-6

    /// `local` is this replica's wall clock (a test gives a skewed or a stepping one).
    public init(local: @escaping @Sendable () -> Date = { Date() }) {
        self.local = local
        anchor = (local(), ContinuousClock.now)
    }

    /// The store's time now: this replica's wall clock until a sample is recorded.
    public func now() -> Date {
        guard let bounds = bounds.withLock({ $0 }) else { return local() }
        return localNow().addingTimeInterval((bounds.lower + bounds.upper) / 2)
    }

    /// This replica's clock as the samples read it: the wall clock at start, carried forward by
    /// the monotonic clock, so that no step of the wall clock moves it.
    public func localNow() -> Date {
        anchor.wall.addingTimeInterval((ContinuousClock.now - anchor.instant).timeInterval)
    }

    /// Seconds to add to `localNow()` to read the store's clock (0 until a sample is recorded).
    public var offset: TimeInterval {
        bounds.withLock { bounds in bounds.map { ($0.lower + $0.upper) / 2 } ?? 0 }
    }

    /// How far `offset` may be from the truth, in seconds (infinite before the first sample).
    public var uncertainty: TimeInterval {
        bounds.withLock { bounds in bounds.map { ($0.upper - $0.lower) / 2 } ?? .infinity }
    }

    /// Records that the server's clock read `serverTime` (truncated to `resolution` seconds)
    /// between the local instants `sent` and `received` (from `localNow()`).
    public func record(sent: Date, serverTime: Date, resolution: TimeInterval = 0, received: Date) {
        guard received >= sent, resolution >= 0, serverTime.timeIntervalSince1970.isFinite else { return }
        let sample = Bounds(
            lower: serverTime.timeIntervalSince(received),
            upper: serverTime.timeIntervalSince(sent) + resolution, at: received)
        bounds.withLock { bounds in
            guard let previous = bounds else {
                bounds = sample
                return
            }
            let widen = max(0, received.timeIntervalSince(previous.at)) * Self.drift
            let lower = max(previous.lower - widen, sample.lower)
            let upper = min(previous.upper + widen, sample.upper)
            bounds = lower <= upper ? Bounds(lower: lower, upper: upper, at: received) : sample
        }
    }
}

extension StoreClock {
    /// How often a store with a server clock samples it again.
    public static let samplingInterval = Duration.seconds(5)

    /// Records one sample: `read` asks the server for its clock (to `resolution` seconds), and
    /// the local instants around it bracket the answer.
    public func sample(resolution: TimeInterval, _ read: () async throws -> Date) async throws {
        let sent = localNow()
        let serverTime = try await read()
        record(sent: sent, serverTime: serverTime, resolution: resolution, received: localNow())
    }

    /// Runs `sample` every `samplingInterval` until the task is cancelled, ignoring failures
    /// (the store reports those through its own operations).
    public func keepSampling(_ sample: () async throws -> Void) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.samplingInterval)
            try? await sample()
        }
    }
}
