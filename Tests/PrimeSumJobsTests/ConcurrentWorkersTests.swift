import Foundation
import PrimeSumJobs
import Testing

/// Eight workers race over 5,000 jobs: every job is claimed once and finished once.
@Suite struct ConcurrentWorkersTests {
    @Test(arguments: Backend.all)
    func eightWorkersFinishEachJobExactlyOnce(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let now = Date()
        let total = 5_000
        for index in 0..<total {
            _ = try await store.submit(
                Job(
                    a: 1, b: UInt64(10 + index), createdAt: now.addingTimeInterval(Double(index) / 1000),
                    expiresAt: now.addingTimeInterval(600)))
        }
        let finished = try await withThrowingTaskGroup(of: [UUID].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var mine: [UUID] = []
                    while let job = try await store.claimNext(
                        worker: "w\(worker)", lease: .seconds(60))
                    {
                        let result = try await store.complete(
                            [Completion(job, .finished(UInt128(job.b)))], ttl: .seconds(600))
                        if result[0].job != nil { mine.append(job.id) }
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(finished.count == total)
        #expect(Set(finished).count == total)
        #expect(try await store.queuedCount() == 0)
        for id in finished.shuffled().prefix(100) {
            let job = try await store.job(id: id)
            #expect(job?.status == .finished && job?.attempts == 1 && job?.sum == UInt128(job?.b ?? 0))
        }
    }
}
