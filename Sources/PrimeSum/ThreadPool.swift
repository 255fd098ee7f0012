import Foundation
import Synchronization

/// Runs numbered pieces of work on up to `threads` threads, handing out pieces dynamically so
/// uneven pieces still balance. The first error stops the hand-out and is rethrown.
///
/// The caller's thread works too; the other `threads - 1` are threads of the pool's own,
/// started at the first `forEach` that needs them and reused until the pool goes away. They are
/// its own rather than libdispatch's (whose threads also run Swift concurrency's jobs on Linux)
/// so that they inherit the scheduling priority of the thread that started them: a computation
/// that lowered its own (`PrimeSumEngine`'s `niceness`) keeps every thread of it lowered.
/// Written by hand: no available library keeps a fixed set of threads of its own.
final class ThreadPool: Sendable {
    let threads: Int
    private let helpers = Mutex<[Helper]>([])

    init(threads: Int) { self.threads = max(1, threads) }

    deinit {
        for helper in helpers.withLock({ $0 }) { helper.stop() }
    }

    func forEach(_ count: Int, _ body: (Int) throws(PrimeSumError) -> Void) throws(PrimeSumError) {
        if threads == 1 || count <= 1 {
            for index in 0..<count { try body(index) }
            return
        }
        let state = SharedState(count: count)
        withoutActuallyEscaping(body) { body in
            let unchecked = UncheckedBody(body: body)
            let work: @Sendable () -> Void = {
                while let index = state.nextIndex() {
                    do throws(PrimeSumError) {
                        try unchecked.body(index)
                    } catch {
                        state.fail(error)
                    }
                }
            }
            let helping = helpers(min(threads, count) - 1)
            for helper in helping { helper.run(work) }
            work()
            for helper in helping { helper.waitUntilDone() }
        }
        if let error = state.failure.withLock({ $0 }) { throw error }
    }

    /// `count` helper threads, started now when the pool has fewer.
    private func helpers(_ count: Int) -> [Helper] {
        helpers.withLock { helpers in
            while helpers.count < count { helpers.append(Helper()) }
            return Array(helpers.prefix(count))
        }
    }

    /// One thread that runs the work it is given, one piece of work at a time, until stopped.
    private final class Helper: Sendable {
        private let work = Mutex<(@Sendable () -> Void)?>(nil)
        private let stopping = Atomic(false)
        private let started = DispatchSemaphore(value: 0)
        private let done = DispatchSemaphore(value: 0)

        init() {
            // The thread holds its helper until `stop`.
            let thread = Thread { [self] in
                while true {
                    started.wait()
                    if stopping.load(ordering: .acquiring) { return }
                    work.withLock { $0 }?()
                    work.withLock { $0 = nil }
                    done.signal()
                }
            }
            thread.name = "primesum-engine"
            thread.start()
        }

        func run(_ body: @escaping @Sendable () -> Void) {
            work.withLock { $0 = body }
            started.signal()
        }

        func waitUntilDone() { done.wait() }

        func stop() {
            stopping.store(true, ordering: .releasing)
            started.signal()
        }
    }

    private final class SharedState: Sendable {
        let count: Int
        let next = Atomic<Int>(0)
        let failure = Mutex<PrimeSumError?>(nil)

        init(count: Int) { self.count = count }

        func nextIndex() -> Int? {
            let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
            return index < count ? index : nil
        }

        func fail(_ error: PrimeSumError) {
            failure.withLock { $0 = $0 ?? error }
            next.store(count, ordering: .relaxed)
        }
    }

    /// The body only touches memory partitioned by index, which the callers guarantee, and
    /// `forEach` waits for every helper before the body's lifetime ends.
    private struct UncheckedBody: @unchecked Sendable {
        let body: (Int) throws(PrimeSumError) -> Void
    }
}
