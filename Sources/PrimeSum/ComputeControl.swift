import Dispatch
import Synchronization

/// Shared state of one running computation: its cancellation flag and its progress meter.
///
/// Worker threads call `checkCancellation()` between small pieces of work and `advance(by:)`
/// after each piece; the handler sees a monotone fraction, at most every `reportInterval`, and
/// exactly one final 1.0.
final class ComputeControl: Sendable {
    private let cancelled = Atomic<Bool>(false)
    private let workDone = Atomic<UInt64>(0)
    private let totalWork = Atomic<UInt64>(1)
    private let lastReport = Mutex<(nanoseconds: UInt64, fraction: Double)>((0, 0))
    private let handler: (@Sendable (Double) -> Void)?
    private static let reportInterval: UInt64 = 50_000_000

    init(progress handler: (@Sendable (Double) -> Void)?) {
        self.handler = handler
    }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    func cancel() { cancelled.store(true, ordering: .relaxed) }

    func checkCancellation() throws(PrimeSumError) {
        if isCancelled { throw .cancelled }
    }

    /// Sets how many units of work the whole computation has.
    func setTotalWork(_ units: UInt64) { totalWork.store(max(units, 1), ordering: .relaxed) }

    /// Records finished work and reports progress when enough time has passed.
    func advance(by units: UInt64) {
        guard let handler else { return }
        let done = workDone.wrappingAdd(units, ordering: .relaxed).newValue
        let fraction = min(Double(done) / Double(totalWork.load(ordering: .relaxed)), 0.999)
        let now = DispatchTime.now().uptimeNanoseconds
        // Reporting under the lock keeps the handler's values in order across threads.
        lastReport.withLock { last in
            guard fraction > last.fraction, now &- last.nanoseconds >= Self.reportInterval else { return }
            last = (now, fraction)
            handler(fraction)
        }
    }

    /// Reports completion.
    func finish() { handler?(1.0) }
}
