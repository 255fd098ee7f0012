import Foundation
import PrimeSumJobs
import Testing

/// The store contract for jobs split into parts (`JobParts`), on every backend: split, claim
/// parts concurrently, settle the parent once, cancel cascades, parts expire with the parent.
@Suite struct JobPartsContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let ttl = Duration.seconds(600)

    /// A new store on `backend` holding a parent claimed by "splitter" (as a worker holds it
    /// before splitting it), and `JobParts` on that store.
    func claimedParent(on backend: Backend, a: UInt64 = 1_000, b: UInt64 = 21_000) async throws -> (
        store: any JobStore, parts: JobParts, parent: Job
    ) {
        let store = try await backend.ready()
        _ = try await store.create(Job(a: a, b: b, createdAt: now, expiresAt: now.addingTimeInterval(600)))
        let parent = try #require(
            try await store.claimNext(worker: "splitter", lease: .seconds(15)))
        return (store, JobParts(store: store, resultsTTL: ttl), parent)
    }

    /// Claims the next queued part and writes it FINISHED with `sum(part)`.
    func finishNext(_ store: any JobStore, sum: (Job) -> UInt128) async throws {
        var part = try #require(
            try await store.claimNext(worker: "w", lease: .seconds(15)))
        part.finish(sum: sum(part), now: now, ttl: ttl)
        _ = try #require(try await store.update(part))
    }

    /// [a, b) in `count` equal ranges.
    func ranges(_ a: UInt64, _ b: UInt64, count: UInt64) -> [Range<UInt64>] {
        let step = (b - a) / count
        return (0..<count).map { a + $0 * step..<a + ($0 + 1) * step }
    }

    @Test(arguments: Backend.all)
    func partsAreQueuedAndTheParentHoldsNoLease(_ backend: Backend) async throws {
        let (store, parts, parent) = try await claimedParent(on: backend)
        let split = try #require(
            try await parts.split(parent, into: ranges(1_000, 21_000, count: 20), now: now))
        #expect(split.status == .inProgress && split.partCount == 20)
        #expect(split.leaseOwner == nil && split.leaseExpiresAt == nil)
        #expect(try await store.job(id: parent.id) == split)
        let stored = try await store.parts(of: parent.id)
        #expect(stored.count == 20 && stored.allSatisfy { $0.status == .queued && $0.parent == parent.id })
        #expect(Set(stored.map(\.a)) == Set(ranges(1_000, 21_000, count: 20).map(\.lowerBound)))
        #expect(try await store.queuedCount() == 20)
        #expect(try await store.parts(of: UUID()).isEmpty)
        // A lapse sweep long after leaves the split parent alone: nothing computes it.
        #expect(try await store.requeueLapsed(now: now.addingTimeInterval(3_600), maxAttempts: 3).isEmpty)
        // Splitting again (a splitter that died before marking the parent) adds no part.
        #expect(try await parts.split(parent, into: ranges(1_000, 21_000, count: 20), now: now) == nil)
        #expect(try await store.parts(of: parent.id).count == 20)
        #expect(try await store.job(id: parent.id)?.status == .inProgress)
    }

    @Test(arguments: Backend.all)
    func concurrentWorkersFinishThePartsAndTheParentOnceWithTheSum(_ backend: Backend) async throws {
        let (store, parts, parent) = try await claimedParent(on: backend)
        _ = try await parts.split(parent, into: ranges(1_000, 21_000, count: 24), now: now)
        // Each part's "sum" is a + 2^100, so the parent's is known and passes 64 bits.
        let settled = try await withThrowingTaskGroup(of: [Job].self) { group in
            for worker in 0..<6 {
                group.addTask {
                    var settledHere: [Job] = []
                    while let part = try await store.claimNext(
                        worker: "w\(worker)", lease: .seconds(15))
                    {
                        var done = part
                        done.finish(sum: UInt128(part.a) + 1 << 100, now: now, ttl: ttl)
                        #expect(try await store.update(done) != nil)
                        if let parent = try await parts.settle(parentID: part.parent!, now: now) {
                            settledHere.append(parent)
                        }
                    }
                    return settledHere
                }
            }
            return try await group.reduce(into: [Job]()) { $0 += $1 }
        }
        let expected = ranges(1_000, 21_000, count: 24).reduce(UInt128(0)) {
            $0 + UInt128($1.lowerBound) + 1 << 100
        }
        #expect(settled.count == 1, "the parent was settled \(settled.count) times")
        let stored = try #require(try await store.job(id: parent.id))
        #expect(stored.status == .finished && stored.sum == expected && stored.progress == 1)
        #expect(
            try await store.parts(of: parent.id).allSatisfy { $0.status == .finished && $0.attempts == 1 })
        // Settling again changes nothing; a part is never a result of its own range.
        #expect(try await parts.settle(parentID: parent.id, now: now) == nil)
        #expect(try await store.finishedJob(a: 1_000, b: 21_000, now: now)?.id == parent.id)
        #expect(try await store.finishedJob(a: 1_000, b: 1_000 + 20_000 / 24, now: now) == nil)
    }

    @Test(arguments: Backend.all)
    func aPrefixSplitSubtractsThePartBelowTheRange(_ backend: Backend) async throws {
        let (store, parts, parent) = try await claimedParent(on: backend, a: 10, b: 30)
        _ = try await parts.split(parent, into: [0..<30, 0..<10], now: now)
        // The primes below 30 sum to 129, below 10 to 17: [10, 30) sums to 112.
        for _ in 0..<2 { try await finishNext(store) { $0.b == 30 ? 129 : 17 } }
        let settled = try await parts.settle(parentID: parent.id, now: now)
        #expect(settled?.status == .finished && settled?.sum == 112)
    }

    @Test(arguments: Backend.all)
    func cancellingTheParentCancelsEveryPartRunningOnesIncluded(_ backend: Backend) async throws {
        let (store, parts, parent) = try await claimedParent(on: backend)
        let split = try #require(
            try await parts.split(parent, into: ranges(1_000, 21_000, count: 5), now: now))
        let running = try #require(
            try await store.claimNext(worker: "w", lease: .seconds(15)))
        var cancelled = split
        cancelled.cancel(now: now, ttl: ttl)
        _ = try #require(try await store.update(cancelled))
        try await parts.cancelParts(of: parent.id, now: now)
        #expect(try await store.parts(of: parent.id).allSatisfy { $0.status == .cancelled })
        #expect(try await store.queuedCount() == 0)
        // The running part's worker loses its next write, and so stops.
        var heartbeat = running
        heartbeat.progress = 0.5
        #expect(try await store.update(heartbeat) == nil)
        #expect(try await parts.settle(parentID: parent.id, now: now) == nil)
        #expect(try await store.job(id: parent.id)?.status == .cancelled)
    }

    @Test(arguments: Backend.all)
    func aSplitOfACancelledParentCancelsThePartsItMade(_ backend: Backend) async throws {
        let (store, parts, parent) = try await claimedParent(on: backend)
        // DELETE lands while the splitter still holds the claimed copy.
        var cancelled = parent
        cancelled.cancel(now: now, ttl: ttl)
        _ = try #require(try await store.update(cancelled))
        #expect(try await parts.split(parent, into: ranges(1_000, 21_000, count: 4), now: now) == nil)
        let stored = try await store.parts(of: parent.id)
        #expect(stored.count == 4 && stored.allSatisfy { $0.status == .cancelled })
    }

    @Test(arguments: Backend.all)
    func aPartOutOfAttemptsFailsItsParentThroughTheCleaner(_ backend: Backend) async throws {
        let (store, parts, parent) = try await claimedParent(on: backend)
        _ = try await parts.split(parent, into: ranges(1_000, 21_000, count: 3), now: now)
        let dying = try #require(
            try await store.claimNext(worker: "w", lease: .seconds(1)))
        let cleaner = Cleaner(
            store: store, interval: .seconds(1), maxAttempts: 1, resultsTTL: ttl, holder: "cleaner",
            logger: .init(label: "test"))
        await cleaner.sweep(now: now.addingTimeInterval(2), full: false)
        #expect(try await store.job(id: dying.id)?.status == .failed)
        let failed = try #require(try await store.job(id: parent.id))
        #expect(failed.status == .failed && failed.failure?.code == "part_failed")
        #expect(failed.failure?.message.contains("[\(dying.a), \(dying.b))") == true)
        let others = try await store.parts(of: parent.id).filter { $0.id != dying.id }
        #expect(others.count == 2 && others.allSatisfy { $0.status == .cancelled })
    }

    @Test(arguments: Backend.all)
    func partsExpireWithTheirParentNotBefore(_ backend: Backend) async throws {
        let (store, parts, parent) = try await claimedParent(on: backend)
        _ = try await parts.split(parent, into: ranges(1_000, 21_000, count: 3), now: now)
        // The parts end early and the parent an hour later: the parts' own expiry has passed.
        for _ in 0..<3 { try await finishNext(store) { _ in 1 } }
        let later = now.addingTimeInterval(3_600)
        #expect(try await store.deleteExpired(now: later) == 0)
        #expect(try await store.parts(of: parent.id).count == 3)
        let settled = try #require(try await parts.settle(parentID: parent.id, now: later))
        #expect(try await store.deleteExpired(now: later.addingTimeInterval(300)) == 0)
        #expect(try await store.parts(of: parent.id).count == 3)
        #expect(try await store.deleteExpired(now: settled.expiresAt.addingTimeInterval(1)) == 1)
        #expect(try await store.job(id: parent.id) == nil)
        #expect(try await store.parts(of: parent.id).isEmpty)
    }
}
