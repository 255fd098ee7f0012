import Foundation
import Synchronization

/// Computes the exact sum of the primes in [a, b) for any 0 <= a < b <= 2^64-1.
///
/// Each computation runs on a thread of its own (plus `threads - 1` helpers), never on the
/// caller's executor; cancelling the calling task returns `PrimeSumError.cancelled` at once and
/// stops the work at its next check. A computation estimated under `inlineSeconds` runs on the
/// caller's thread instead: starting a thread costs more than it does.
public struct PrimeSumEngine: Sendable {
    /// How many threads one computation uses.
    public let threads: Int
    /// The cost model the engine uses for `auto`.
    public let costModel: CostModel
    /// Computations of this engine (and its copies) whose threads still run: a cancelled one
    /// leaves the count when its threads have stopped, not when its caller was answered.
    public var runningComputations: Int { running.count }
    private let running = SharedCounter()

    /// The prefix method's tuning factors, each nil for its fitted default (see BENCHMARKS.md).
    public let prefixTuning: PrefixTuning

    /// The nice value (0-19) of the threads a computation starts: above 0, the process's other
    /// threads (a server's API) run first whenever they have work, and the computation takes
    /// the rest of the cores. A computation run inline on the caller's thread keeps its priority.
    public let niceness: Int32

    /// An engine using `threads` threads (default: every active core).
    public init(threads: Int? = nil, prefixTuning: PrefixTuning = PrefixTuning(), niceness: Int32 = 0) {
        let threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        self.threads = threads
        self.prefixTuning = prefixTuning
        self.niceness = min(max(niceness, 0), 19)
        self.costModel = CostModel(threads: threads)
    }

    /// The method, time and memory the engine expects for a range.
    public func estimate(_ range: PrimeRange, method: SumMethod = .auto) -> CostEstimate {
        costModel.estimate(range, method: method)
    }

    /// The parts that make up `range` for computing it on many machines
    /// (`CostModel.sumParts(of:partSeconds:maximumSetUpShare:pieceSeconds:)`).
    public func parts(
        of range: PrimeRange, partSeconds: Double, maximumSetUpShare: Double = CostModel.defaultSetUpShare,
        pieceSeconds: Double = 0
    ) -> [SumPart] {
        costModel.sumParts(
            of: range, partSeconds: partSeconds, maximumSetUpShare: maximumSetUpShare,
            pieceSeconds: pieceSeconds)
    }

    /// The sum of the primes p with a <= p < b.
    /// - Parameter progress: called with a rising fraction in 0...1, last with 1.0 on success;
    ///   it runs on a worker thread and must return quickly.
    public func sum(
        _ range: PrimeRange, method: SumMethod = .auto,
        progress: (@Sendable (Double) -> Void)? = nil
    ) async throws(PrimeSumError) -> UInt128 {
        // `.auto`'s estimate is the chosen method's own, so one estimate serves both questions.
        let estimate = costModel.estimate(range, method: method)
        return try await run(estimatedSeconds: estimate.seconds, progress: progress) {
            control throws(PrimeSumError) in
            try compute(range, method: estimate.method, control: control)
        }
    }

    /// One part of S(x) by the prefix method (`PrefixSumPart`), on this engine's threads;
    /// `PrefixSumPartResult.combine` joins the results of all the parts into S(x). The parts
    /// must be computed with one tuning (`prefixTuning`): the results say which y and L they used.
    /// - Parameter progress: as for `sum`, within the part.
    public func sum(_ part: PrefixSumPart, progress: (@Sendable (Double) -> Void)? = nil)
        async throws(PrimeSumError) -> PrefixSumPartResult
    {
        let prefix = CombinatorialPrefixSum(x: part.x, tuning: prefixTuning)
        let seconds = CostModel.prefixThreadSeconds(part.x) / costModel.effectiveThreads / Double(part.count)
        return try await run(estimatedSeconds: seconds, progress: progress) { control throws(PrimeSumError) in
            control.setTotalWork(prefix.operations / UInt64(part.count))
            let terms = try prefix.terms(of: part, pool: ThreadPool(threads: threads), control: control)
            let (y, leafLimit) = prefix.bounds
            return PrefixSumPartResult(part: part, y: y, leafLimit: leafLimit, terms: terms)
        }
    }

    /// Runs `work` on a thread of its own (inline when it is estimated under `inlineSeconds`),
    /// stopping it when the calling task is cancelled; counts it in `runningComputations` while
    /// it runs and reports its completion.
    private func run<Value: Sendable>(
        estimatedSeconds: Double, progress: (@Sendable (Double) -> Void)?,
        _ computation: @escaping @Sendable (ComputeControl) throws(PrimeSumError) -> Value
    ) async throws(PrimeSumError) -> Value {
        let control = ComputeControl(progress: progress)
        let work: @Sendable (ComputeControl) throws(PrimeSumError) -> Value = {
            [running] (control) throws(PrimeSumError) in
            running.add(1)
            defer { running.add(-1) }
            let value = try computation(control)
            control.finish()
            return value
        }
        if estimatedSeconds < Self.inlineSeconds {
            guard !Task.isCancelled else { throw .cancelled }
            return try work(control)
        }
        let resumer = ResumeOnce<Value>()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard resumer.install(continuation) else { return }
                let thread = Thread { [self] in
                    // Linux's nice is per thread; the pool's helpers inherit it from this one.
                    if niceness > 0 {
                        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
                    }
                    resumer.resume(with: Result { () throws(PrimeSumError) in try work(control) })
                }
                thread.name = "primesum-engine"
                thread.start()
            }
        } onCancel: {
            control.cancel()
            resumer.resume(with: .failure(.cancelled))
        }
        return try result.get()
    }

    /// Work estimated below a millisecond runs inline on the caller's thread: a thread's start,
    /// hand-over and exit cost about a tenth of that, and a millisecond is still a prompt stop.
    static let inlineSeconds = 1e-3

    private func compute(_ range: PrimeRange, method chosen: SumMethod, control: ComputeControl)
        throws(PrimeSumError)
        -> UInt128
    {
        let pool = ThreadPool(threads: threads)
        let total: UInt128
        if chosen == .prefix {
            let upper = CombinatorialPrefixSum(x: range.b - 1, tuning: prefixTuning)
            let lower = CombinatorialPrefixSum(x: range.a == 0 ? 0 : range.a - 1, tuning: prefixTuning)
            control.setTotalWork(upper.operations + lower.operations)
            total = try upper.run(pool: pool, control: control) - lower.run(pool: pool, control: control)
        } else {
            total = try SieveSummer(pool: pool).sum(range, control: control)
        }
        return total
    }
}

/// A count shared by an engine's copies.
private final class SharedCounter: Sendable {
    private let value = Atomic(0)
    func add(_ delta: Int) { value.add(delta, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// Resumes a continuation exactly once, from the computation or from cancellation, whichever
/// comes first; a cancellation that arrives before the continuation exists resumes it on arrival.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private enum State {
        case waiting
        case installed(CheckedContinuation<Result<Value, PrimeSumError>, Never>)
        case finished(Result<Value, PrimeSumError>?)
    }
    private let state = Mutex<State>(.waiting)

    /// Stores the continuation; returns false when a result already arrived (it is resumed then).
    func install(_ continuation: CheckedContinuation<Result<Value, PrimeSumError>, Never>) -> Bool {
        let early: Result<Value, PrimeSumError>?? = state.withLock { state in
            if case .finished(let result) = state {
                state = .finished(nil)
                return .some(result)
            }
            state = .installed(continuation)
            return .none
        }
        guard let early else { return true }
        continuation.resume(returning: early ?? .failure(.cancelled))
        return false
    }

    func resume(with result: Result<Value, PrimeSumError>) {
        let continuation = state.withLock {
            state -> CheckedContinuation<Result<Value, PrimeSumError>, Never>? in
            switch state {
            case .waiting:
                state = .finished(result)
                return nil
            case .installed(let continuation):
                state = .finished(nil)
                return continuation
            case .finished:
                return nil
            }
        }
        continuation?.resume(returning: result)
    }
}
