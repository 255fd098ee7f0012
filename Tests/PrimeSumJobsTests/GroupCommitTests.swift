import Foundation
import PrimeSumSQLite
import Synchronization
import Testing

@testable import PrimeSumJobs

@Suite struct GroupCommitTests {
    /// A flush that records its batches and holds the first one until released.
    final class RecordingFlush: Sendable {
        let batches = Mutex<[[Int]]>([])
        let firstStarted = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()

        func flush(_ items: [Int]) async throws -> [Int] {
            let isFirst = batches.withLock { batches in
                batches.append(items)
                return batches.count == 1
            }
            if isFirst {
                firstStarted.continuation.yield()
                for await _ in release.stream { break }
            }
            if items.contains(-1) { throw CancellationError() }
            return items.map { $0 * 10 }
        }
    }

    @Test func writesThatArriveDuringAFlushGoTogetherInTheNext() async throws {
        let recorder = RecordingFlush()
        let group = GroupCommit<Int, Int>(store: "test", maximumBatch: 100, concurrency: 1) {
            try await recorder.flush($0)
        }
        try await withThrowingTaskGroup(of: (Int, Int).self) { tasks in
            tasks.addTask { (0, try await group.write(0)) }
            for await _ in recorder.firstStarted.stream { break }
            for item in 1...10 { tasks.addTask { (item, try await group.write(item)) } }
            // Every later write must be waiting before the first flush ends.
            while group.waitingCount < 10 { try await Task.sleep(for: .milliseconds(5)) }
            recorder.release.continuation.yield()
            for try await (item, outcome) in tasks { #expect(outcome == item * 10) }
        }
        let sizes = recorder.batches.withLock { $0.map(\.count) }
        #expect(sizes == [1, 10])
    }

    @Test func aFailedFlushFailsOnlyItsOwnBatch() async throws {
        let recorder = RecordingFlush()
        let group = GroupCommit<Int, Int>(store: "test", maximumBatch: 100, concurrency: 1) {
            try await recorder.flush($0)
        }
        let first = Task { try await group.write(-1) }
        for await _ in recorder.firstStarted.stream { break }
        let second = Task { try await group.write(2) }
        while group.waitingCount < 1 { try await Task.sleep(for: .milliseconds(5)) }
        recorder.release.continuation.yield()
        await #expect(throws: CancellationError.self) { try await first.value }
        #expect(try await second.value == 20)
    }

    @Test func aFailingSQLiteWriteFailsAloneInItsBatch() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("primesum-\(UUID()).sqlite")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try SQLiteJobStore(path: path)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let taken = Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(600))
        _ = try await store.submit(taken)
        // Forty new jobs and one whose id is taken, all at once: the duplicate fails alone.
        let fresh = (0..<40).map {
            Job(a: UInt64($0), b: 100, createdAt: now, expiresAt: now.addingTimeInterval(600))
        }
        var duplicate = taken
        duplicate.a = 5
        let failures = await withTaskGroup(of: Bool.self) { tasks in
            for job in fresh + [duplicate] {
                tasks.addTask { (try? await store.submit(job)) == nil }
            }
            return await tasks.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 1)
        for job in fresh { #expect(try await store.job(id: job.id) == job) }
        #expect(try await store.job(id: taken.id) == taken)
    }
}
