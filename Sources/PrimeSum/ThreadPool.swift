import Dispatch
import Synchronization

/// Runs numbered pieces of work on up to `threads` threads, handing out pieces dynamically so
/// uneven pieces still balance. The first error stops the hand-out and is rethrown.
struct ThreadPool: Sendable {
    let threads: Int

    init(threads: Int) { self.threads = max(1, threads) }

    func forEach(_ count: Int, _ body: (Int) throws(PrimeSumError) -> Void) throws(PrimeSumError) {
        if threads == 1 || count <= 1 {
            for index in 0..<count { try body(index) }
            return
        }
        let state = SharedState(count: count)
        withoutActuallyEscaping(body) { body in
            let unchecked = UncheckedBody(body: body)
            DispatchQueue.concurrentPerform(iterations: min(threads, count)) { _ in
                while let index = state.nextIndex() {
                    do throws(PrimeSumError) {
                        try unchecked.body(index)
                    } catch {
                        state.fail(error)
                    }
                }
            }
        }
        if let error = state.failure.withLock({ $0 }) { throw error }
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

    /// The body only touches memory partitioned by index, which the callers guarantee.
    private struct UncheckedBody: @unchecked Sendable {
        let body: (Int) throws(PrimeSumError) -> Void
    }
}
