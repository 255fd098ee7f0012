import Foundation
import PrimeSum
import Synchronization
import Testing

@Suite struct CancellationAndProgressTests {
    /// Long enough that neither method finishes before the cancel arrives.
    static let longRanges: [(SumMethod, PrimeRange)] = [
        (.sieve, try! PrimeRange(a: 0, b: 1_000_000_000_000)),
        (.prefix, try! PrimeRange(a: 0, b: 100_000_000_000_000_000)),
    ]

    @Test(arguments: longRanges)
    func cancellingStopsWithACancellationError(_ method: SumMethod, _ range: PrimeRange) async throws {
        let calls = Mutex(0)
        let task = Task {
            try await PrimeSumEngine().sum(range, method: method) { _ in calls.withLock { $0 += 1 } }
        }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        await #expect(throws: PrimeSumError.cancelled) { try await task.value }
        // The worker threads stop too: progress stops moving shortly after.
        try await Task.sleep(for: .milliseconds(500))
        let settled = calls.withLock { $0 }
        try await Task.sleep(for: .milliseconds(500))
        #expect(calls.withLock { $0 } == settled)
    }

    @Test func cancellationBeforeStartIsImmediate() async throws {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await PrimeSumEngine().sum(try PrimeRange(a: 0, b: 1_000_000_000_000), method: .sieve)
        }
        await #expect(throws: PrimeSumError.cancelled) { try await task.value }
    }

    @Test(arguments: [SumMethod.sieve, .prefix])
    func progressIsMonotoneAndEndsAtOne(_ method: SumMethod) async throws {
        let seen = Mutex<[Double]>([])
        let range = try PrimeRange(a: 1_000_000, b: 2_000_000_000)
        _ = try await PrimeSumEngine().sum(range, method: method) { value in
            seen.withLock { $0.append(value) }
        }
        let values = seen.withLock { $0 }
        #expect(values.last == 1.0)
        #expect(values == values.sorted())
        #expect(values.allSatisfy { (0...1).contains($0) })
    }
}
