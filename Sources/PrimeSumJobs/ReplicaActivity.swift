import Foundation
import Synchronization

/// What this replica's workers did lately: the jobs running now, and for each of the last
/// `windowCount` windows of `windowSeconds`, the jobs finished and their end-to-end latency
/// (from submit to result). Each replica sends it in its heartbeat (`ReplicaHeartbeat`); the
/// console adds up every replica's.
public final class ReplicaActivity: Sendable {
    public static let windowSeconds: Int64 = 10
    public static let windowCount = 30

    private struct State {
        var running = 0
        var windows: [ActivityWindow] = []
    }
    private let state = Mutex(State())

    public init() {}

    /// A worker began a job.
    public func started() { state.withLock { $0.running += 1 } }

    /// A worker is done with a job, whatever became of it.
    public func ended() { state.withLock { $0.running -= 1 } }

    /// A job finished at `now`, `latency` after it was submitted.
    public func finished(latency: Duration, at now: Date = Date()) {
        let start = Self.windowStart(now)
        state.withLock { state in
            if state.windows.last?.start != start {
                state.windows.append(ActivityWindow(start: start))
                if state.windows.count > Self.windowCount { state.windows.removeFirst() }
            }
            state.windows[state.windows.count - 1].finished += 1
            state.windows[state.windows.count - 1].latency.record(milliseconds: latency.timeInterval * 1000)
        }
    }

    /// Jobs running now, and the windows of the last `windowCount * windowSeconds` seconds that
    /// saw a job finish, oldest first.
    public func snapshot(now: Date = Date()) -> (running: Int, windows: [ActivityWindow]) {
        let oldest = Self.windowStart(now) - Int64(Self.windowCount - 1) * Self.windowSeconds
        return state.withLock { state in (state.running, state.windows.filter { $0.start >= oldest }) }
    }

    /// The start of the window holding `instant`, in Unix seconds.
    public static func windowStart(_ instant: Date) -> Int64 {
        let seconds = Int64(saturating: instant.timeIntervalSince1970.rounded(.down))
        return seconds - seconds % windowSeconds
    }
}

/// The jobs a replica finished in one window of `ReplicaActivity.windowSeconds`.
public struct ActivityWindow: Sendable, Equatable, Codable {
    /// The window's start, in Unix seconds.
    public var start: Int64
    public var finished = 0
    /// Their end-to-end latencies (submit to result).
    public var latency = LatencyHistogram()

    public init(start: Int64) { self.start = start }
}
