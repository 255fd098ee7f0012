import Foundation
import Synchronization
import Testing

@testable import PrimeSum

@Suite struct ThreadPoolTests {
    /// Every thread of a computation runs at the priority of the thread that started it: a
    /// server's niced computation must not run half its work at the API's priority.
    @Test func everyThreadOfThePoolHasTheNiceValueOfItsStarter() async throws {
        let seen = Mutex<[(thread: UInt, nice: Int32)]>([])
        let started = Atomic(0)
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let starter = Thread {
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 7)
                let pool = ThreadPool(threads: 4)
                // Twice: the second round reuses the threads the first one started.
                for _ in 0..<2 {
                    started.store(0, ordering: .relaxed)
                    try? pool.forEach(4) { _ in
                        // Each piece waits for the others to start, so four threads run them.
                        started.add(1, ordering: .relaxed)
                        let givenUp = Date().addingTimeInterval(10)
                        while started.load(ordering: .relaxed) < 4 && Date() < givenUp { usleep(100) }
                        let nice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
                        seen.withLock { $0.append((UInt(pthread_self()), nice)) }
                    }
                }
                finished.resume()
            }
            starter.start()
        }
        let observed = seen.withLock { $0 }
        #expect(observed.count == 8)
        #expect(Set(observed.prefix(4).map(\.thread)).count == 4, "four threads ran the pieces")
        #expect(observed.allSatisfy { $0.nice == 7 }, "\(observed)")
    }
}
