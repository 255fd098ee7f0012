import Foundation
import Logging
import PrimeSum
import PrimeSumJobs
import Testing

/// The store contract for jobs split into parts, on every backend: split, claim parts
/// concurrently, the completion of the last part settles the parent once, cancel cascades,
/// the cleaner settles a parent whose settler died, parts expire with the parent.
@Suite struct JobPartsContractTests {
    let ttl = Duration.seconds(600)

    /// A new store on `backend` holding a parent claimed by "splitter" (as a worker holds it
    /// before splitting it).
    func claimedParent(on backend: Backend, a: UInt64 = 1_000, b: UInt64 = 21_000) async throws -> (
        store: any CompareAndSwapJobStore, parent: Job
    ) {
        let store = try await backend.ready()
        let now = store.clock.now()
        _ = try await store.submit(
            Job(
                a: a, b: b, createdAt: now, expiresAt: now.addingTimeInterval(600),
                traceContext: Self.traceContext))
        let parent = try #require(try await store.claimNext(worker: "splitter", lease: .seconds(15)))
        return (store, parent)
    }

    /// The trace every parent of these tests is submitted in.
    static let traceContext =
        "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\ntracestate: vendor=opaque,other=1"

    /// Claims the next queued part and completes it FINISHED with `sum(part)`.
    @discardableResult
    func finishNext(_ store: any JobStore, ttl: Duration? = nil, sum: (Job) -> UInt128) async throws
        -> CompletionResult
    {
        let part = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        let result = try await store.complete([Completion(part, .finished(sum(part)))], ttl: ttl ?? self.ttl)
        #expect(result[0].job?.status == .finished)
        return result[0]
    }

    /// [a, b) in `count` equal ranges.
    func ranges(_ a: UInt64, _ b: UInt64, count: UInt64) -> [Range<UInt64>] {
        let step = (b - a) / count
        return (0..<count).map { a + $0 * step..<a + ($0 + 1) * step }
    }

    @Test(arguments: Backend.contract)
    func partsAreQueuedAndTheParentIsNoWorkersToComplete(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend)
        let split = try #require(
            try await store.split(parent, into: ranges(1_000, 21_000, count: 20), ttl: ttl))
        #expect(split.status == .inProgress && split.partCount == 20 && split.lease == nil)
        #expect(try await store.job(id: parent.id) == split)
        let stored = try await store.parts(of: parent.id)
        #expect(stored.count == 20 && stored.allSatisfy { $0.status == .queued && $0.parent == parent.id })
        // Each part continues its parent's trace.
        #expect(stored.allSatisfy { $0.traceContext == Self.traceContext && $0.worker == nil })
        #expect(split.worker == "splitter")
        #expect(Set(stored.map(\.a)) == Set(ranges(1_000, 21_000, count: 20).map(\.lowerBound)))
        #expect(try await store.queuedCount() == 20)
        #expect(try await store.parts(of: UUID()).isEmpty)
        // The splitter's claim is spent: it can neither complete nor renew the parent.
        #expect(try await store.complete([Completion(parent, .finished(1))], ttl: ttl)[0].job == nil)
        #expect(
            try await store.renewLeases([LeaseRenewal(parent.lease!, progress: 1)], lease: ttl) == [parent.id]
        )
        // A lapse sweep long after only moves the parent's settlement check: nothing computes it.
        let later = store.clock.now().addingTimeInterval(3_600)
        let checked = try await store.requeueLapsed(now: later, maxAttempts: 3)
        #expect(checked.map(\.id) == [parent.id] && checked[0].status == .inProgress)
        let nextCheck = try #require(checked[0].leaseExpiresAt)
        #expect(abs(nextCheck.timeIntervalSince(later) - Job.settlementCheck.timeInterval) < 0.002)
        // Splitting again (a splitter that died before marking the parent) adds no part.
        #expect(try await store.split(parent, into: ranges(1_000, 21_000, count: 20), ttl: ttl) == nil)
        #expect(try await store.parts(of: parent.id).count == 20)
        #expect(try await store.job(id: parent.id)?.status == .inProgress)
    }

    /// A claim of whole jobs only (a worker pool's last worker free of parts) passes the
    /// queued parts by for a job submitted after them; a claim of any takes the oldest of all.
    @Test(arguments: Backend.contract)
    func aClaimOfWholeJobsOnlyPassesQueuedPartsBy(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend)
        _ = try await store.split(parent, into: ranges(1_000, 21_000, count: 3), ttl: ttl)
        let now = store.clock.now()
        func whole(_ offset: TimeInterval, _ a: UInt64) -> Job {
            Job(
                a: a, b: a + 10, createdAt: now.addingTimeInterval(offset),
                expiresAt: now.addingTimeInterval(600))
        }
        let earlier = try await store.submit(whole(-60, 50_000)).job
        let later = try await store.submit(whole(60, 60_000)).job
        let lease = Duration.seconds(15)
        #expect(try await store.claimNext(worker: "w", lease: lease, includingParts: true)?.id == earlier.id)
        #expect(try await store.claimNext(worker: "w", lease: lease, includingParts: false)?.id == later.id)
        #expect(try await store.claimNext(worker: "w", lease: lease, includingParts: false) == nil)
        #expect(try await store.queuedCount() == 3)
        var parts: [Job] = []
        while let part = try await store.claimNext(worker: "w", lease: lease, includingParts: true) {
            parts.append(part)
        }
        #expect(parts.count == 3 && parts.allSatisfy { $0.parent == parent.id && $0.status == .inProgress })
        #expect(try await store.queuedCount() == 0)
        // A part handed back waits in the parts' queue again.
        try #require(try await store.complete([Completion(parts[0], .handedBack)], ttl: ttl)[0].job != nil)
        #expect(try await store.claimNext(worker: "w", lease: lease, includingParts: false) == nil)
        #expect(try await store.claimNext(worker: "w", lease: lease)?.id == parts[0].id)
    }

    /// One claim takes the oldest queued jobs for several workers, the n-th oldest leased to
    /// the n-th worker, and no more parts than it may: the parts past that are passed by for
    /// later whole jobs, and a second claim never takes a job the first one took.
    @Test(arguments: Backend.contract)
    func oneClaimTakesTheOldestJobsForEachWorkerWithinItsParts(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend)
        _ = try await store.split(parent, into: ranges(1_000, 21_000, count: 3), ttl: ttl)
        let now = store.clock.now()
        func whole(_ offset: TimeInterval, _ a: UInt64) async throws -> Job {
            try await store.submit(
                Job(
                    a: a, b: a + 10, createdAt: now.addingTimeInterval(offset),
                    expiresAt: now.addingTimeInterval(600))
            ).job
        }
        let earlier = try await whole(-60, 50_000)
        let later = try await whole(60, 60_000)
        let latest = try await whole(120, 70_000)
        let lease = Duration.seconds(15)
        let first = try await store.claim(for: ["w1", "w2", "w3"], lease: lease, parts: 1)
        #expect(first.count == 3)
        #expect(first.map { $0.lease?.owner } == ["w1", "w2", "w3"])
        #expect(first.map(\.worker) == ["w1", "w2", "w3"])
        #expect(first[0].id == earlier.id && first[1].parent == parent.id && first[2].id == later.id)
        #expect(first.allSatisfy { $0.status == .inProgress && $0.attempts == 1 })
        for job in first { #expect(try await store.job(id: job.id)?.lease == job.lease) }
        // Two parts and one whole job are left; a claim for four takes them all, parts oldest.
        let second = try await store.claim(for: ["w4", "w5", "w6", "w7"], lease: lease, parts: 4)
        #expect(second.count == 3)
        #expect(second.map { $0.lease?.owner } == ["w4", "w5", "w6"])
        #expect(second.filter { $0.parent == parent.id }.count == 2 && second[2].id == latest.id)
        #expect(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
        #expect(try await store.claim(for: ["w8"], lease: lease, parts: 1).isEmpty)
        #expect(try await store.queuedCount() == 0)
    }

    @Test(arguments: Backend.contract)
    func concurrentWorkersFinishThePartsAndTheParentOnceWithTheSum(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend)
        _ = try await store.split(parent, into: ranges(1_000, 21_000, count: 24), ttl: ttl)
        // Each part's "sum" is a + 2^100, so the parent's is known and passes 64 bits.
        let settled = try await withThrowingTaskGroup(of: [Job].self) { group in
            for worker in 0..<6 {
                group.addTask {
                    var settledHere: [Job] = []
                    while let part = try await store.claimNext(worker: "w\(worker)", lease: .seconds(15)) {
                        let result = try await store.complete(
                            [Completion(part, .finished(UInt128(part.a) + 1 << 100))], ttl: ttl)
                        #expect(result[0].job != nil)
                        if let parent = result[0].settledParent { settledHere.append(parent) }
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
        #expect(settled.first == stored)
        #expect(
            try await store.parts(of: parent.id).allSatisfy { $0.status == .finished && $0.attempts == 1 })
        // Settling again changes nothing; a part is never a result of its own range.
        #expect(try await store.settle(parentID: parent.id, ttl: ttl) == nil)
        let now = store.clock.now()
        func answer(_ b: UInt64) async throws -> Submission? {
            try await store.submit(
                Job(a: 1_000, b: b, createdAt: now, expiresAt: now, owner: parent.owner), queueing: false)
        }
        #expect(try await answer(21_000) == .answered(stored))
        #expect(try await answer(1_000 + 20_000 / 24) == nil)
    }

    @Test(arguments: Backend.contract)
    func aPrefixSplitSubtractsThePartBelowTheRange(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend, a: 10, b: 30)
        _ = try await store.split(parent, into: [0..<30, 0..<10], ttl: ttl)
        // The primes below 30 sum to 129, below 10 to 17: [10, 30) sums to 112.
        let first = try await finishNext(store) { $0.b == 30 ? 129 : 17 }
        #expect(first.settledParent == nil)
        let last = try await finishNext(store) { $0.b == 30 ? 129 : 17 }
        #expect(last.settledParent?.status == .finished && last.settledParent?.sum == 112)
        #expect(try await store.job(id: parent.id)?.sum == 112)
    }

    /// [1e9, 3e9) as S(3e9 - 1) in 3 pieces less S(1e9 - 1) in 2, each piece's result computed
    /// by the engine and stored with its completion; the parent settles with the pieces joined.
    @Test(arguments: Backend.contract)
    func thePiecesOfPrefixSumsJoinWhenTheParentSettles(_ backend: Backend) async throws {
        let (a, b): (UInt64, UInt64) = (1_000_000_000, 3_000_000_000)
        let (store, parent) = try await claimedParent(on: backend, a: a, b: b)
        let plans =
            (0..<3).map { JobPartPlan(0..<b, piece: JobPiece(index: $0, count: 3)) }
            + (0..<2).map { JobPartPlan(0..<a, piece: JobPiece(index: $0, count: 2)) }
        _ = try #require(try await store.split(parent, into: plans, ttl: ttl))
        let stored = try await store.parts(of: parent.id)
        #expect(
            Set(stored.map { "\($0.a..<$0.b) \($0.piece?.description ?? "none")" })
                == Set(plans.map { "\($0.range) \($0.piece?.description ?? "none")" }))
        let engine = PrimeSumEngine(threads: 1)
        var results: [CompletionResult] = []
        while let part = try await store.claimNext(worker: "w", lease: .seconds(15)) {
            let piece = try #require(part.piece)
            let bytes = try await engine.sum(
                try PrefixSumPart(x: part.b - 1, index: piece.index, of: piece.count)
            ).bytes
            results += try await store.complete([Completion(part, .finishedPiece(bytes))], ttl: ttl)
            let finished = try #require(results.last?.job)
            #expect(finished.status == .finished && finished.pieceResult == bytes && finished.sum == nil)
            #expect(try await store.parts(of: parent.id).first { $0.id == part.id }?.pieceResult == bytes)
        }
        #expect(results.count == 5 && results.dropLast().allSatisfy { $0.settledParent == nil })
        let expected = try await engine.sum(try PrimeRange(a: a, b: b), method: .sieve)
        #expect(
            results.last?.settledParent?.status == .finished && results.last?.settledParent?.sum == expected)
        #expect(try await store.job(id: parent.id)?.sum == expected)
    }

    /// A piece computed with another alpha (a replica configured apart) does not join: the
    /// parent FAILS, saying why, rather than finishing with a wrong sum.
    @Test(arguments: Backend.contract)
    func piecesThatDoNotJoinFailTheParent(_ backend: Backend) async throws {
        let x: UInt64 = 2_000_000_000
        let (store, parent) = try await claimedParent(on: backend, a: 0, b: x + 1)
        _ = try await store.split(
            parent, into: (0..<2).map { JobPartPlan(0..<x + 1, piece: JobPiece(index: $0, count: 2)) },
            ttl: ttl)
        var last: CompletionResult?
        for alpha in [1.0, 4.0] {
            let part = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
            let piece = try #require(part.piece)
            let result = try await PrimeSumEngine(threads: 1, prefixTuning: PrefixTuning(alpha: alpha)).sum(
                try PrefixSumPart(x: x, index: piece.index, of: 2))
            last = try await store.complete([Completion(part, .finishedPiece(result.bytes))], ttl: ttl)[0]
        }
        let failed = try #require(last?.settledParent)
        #expect(failed.status == .failed && failed.failure?.code == "pieces_disagree" && failed.sum == nil)
        #expect(
            failed.failure?.message.hasPrefix("the pieces of a prefix sum of this job do not join") == true
                && failed.failure?.message.contains("y =") == true)
    }

    /// What a document counts, read without the pieces' results: a finished piece (its result
    /// 100 KB), a running one with its progress, a queued one, each as `parts(of:)` has it.
    @Test(arguments: Backend.contract)
    func partStatesAreThePartsWithoutThePiecesResults(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend)
        let plans = (0..<3).map { JobPartPlan(0..<21_000, piece: JobPiece(index: $0, count: 3)) }
        _ = try #require(try await store.split(parent, into: plans, ttl: ttl))
        let result = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let finished = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        _ = try await store.complete([Completion(finished, .finishedPiece(result))], ttl: ttl)
        let running = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        #expect(
            try await store.renewLeases([LeaseRenewal(running.lease!, progress: 0.25)], lease: ttl).isEmpty)

        let parts = try await store.parts(of: parent.id)
        #expect(parts.first { $0.id == finished.id }?.pieceResult == result)
        func ordered(_ states: [JobPartState]) -> [JobPartState] {
            states.sorted { ($0.piece?.index ?? -1) < ($1.piece?.index ?? -1) }
        }
        let states = ordered(try await store.partStates(of: parent.id))
        #expect(states.count == 3 && states == ordered(parts.map(JobPartState.init)))
        #expect(states.allSatisfy { $0.range == 0..<21_000 })
        #expect(states.first { $0.piece?.index == finished.piece?.index }?.status == .finished)
        #expect(states.count { $0.status == .queued && $0.attempts == 0 } == 1)
        let runningState = states.first { $0.piece?.index == running.piece?.index }
        #expect(
            runningState?.status == .inProgress && runningState?.progress == 0.25
                && runningState?.attempts == 1)
    }

    @Test(arguments: Backend.contract)
    func aFailedPartFailsTheParentAndCancelsTheOthers(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend)
        _ = try await store.split(parent, into: ranges(1_000, 21_000, count: 3), ttl: ttl)
        let running = try #require(try await store.claimNext(worker: "w1", lease: .seconds(15)))
        let failing = try #require(try await store.claimNext(worker: "w2", lease: .seconds(15)))
        let result = try await store.complete(
            [Completion(failing, .failed(JobFailure(code: "computation_failed", message: "out of memory")))],
            ttl: ttl)
        let failed = try #require(result[0].settledParent)
        #expect(failed.status == .failed && failed.failure?.code == "part_failed")
        #expect(
            failed.failure?.message.contains("[\(failing.a), \(failing.b)) of this job failed: out of memory")
                == true)
        let others = try await store.parts(of: parent.id).filter { $0.id != failing.id }
        #expect(others.count == 2 && others.allSatisfy { $0.status == .cancelled })
        // The running part's worker is refused at its next renewal, and so stops.
        #expect(
            try await store.renewLeases([LeaseRenewal(running.lease!, progress: 0.5)], lease: ttl) == [
                running.id
            ])
    }

    @Test(arguments: Backend.contract)
    func cancellingTheParentCancelsEveryPartRunningOnesIncluded(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend)
        _ = try #require(try await store.split(parent, into: ranges(1_000, 21_000, count: 5), ttl: ttl))
        let running = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        #expect(try await store.cancel(id: parent.id, ttl: ttl)?.status == .cancelled)
        #expect(try await store.parts(of: parent.id).allSatisfy { $0.status == .cancelled })
        #expect(try await store.queuedCount() == 0)
        // The running part's worker is refused at its next renewal, and so stops; its
        // completion settles nothing.
        #expect(
            try await store.renewLeases([LeaseRenewal(running.lease!, progress: 0.5)], lease: ttl) == [
                running.id
            ])
        #expect(
            try await store.complete([Completion(running, .finished(1))], ttl: ttl)[0]
                == CompletionResult(job: nil))
        #expect(try await store.settle(parentID: parent.id, ttl: ttl) == nil)
        #expect(try await store.job(id: parent.id)?.status == .cancelled)
    }

    @Test(arguments: Backend.contract)
    func aSplitOfACancelledParentCancelsThePartsItMade(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend)
        // DELETE lands while the splitter still holds the claimed copy.
        _ = try #require(try await store.cancel(id: parent.id, ttl: ttl))
        #expect(try await store.split(parent, into: ranges(1_000, 21_000, count: 4), ttl: ttl) == nil)
        let stored = try await store.parts(of: parent.id)
        #expect(stored.count == 4 && stored.allSatisfy { $0.status == .cancelled })
    }

    @Test(arguments: Backend.contract)
    func aPartOutOfAttemptsFailsItsParentThroughTheCleaner(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend)
        _ = try await store.split(parent, into: ranges(1_000, 21_000, count: 3), ttl: ttl)
        let dying = try #require(try await store.claimNext(worker: "w", lease: .seconds(1)))
        await cleaner(store, maxAttempts: 1).sweep(now: store.clock.now().addingTimeInterval(2), full: false)
        #expect(try await store.job(id: dying.id)?.status == .failed)
        let failed = try #require(try await store.job(id: parent.id))
        #expect(failed.status == .failed && failed.failure?.code == "part_failed")
        #expect(failed.failure?.message.contains("[\(dying.a), \(dying.b))") == true)
        let others = try await store.parts(of: parent.id).filter { $0.id != dying.id }
        #expect(others.count == 2 && others.allSatisfy { $0.status == .cancelled })
    }

    @Test(arguments: Backend.contract)
    func theCleanerSettlesAParentWhoseSettlerDied(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend, a: 10, b: 30)
        let split = try #require(try await store.split(parent, into: [10..<20, 20..<30], ttl: ttl))
        let check = try #require(split.leaseExpiresAt)
        // Both parts end through the store's bare compare-and-swap, as if each completing
        // worker died before the settlement that `complete` does with it.
        for sum: UInt128 in [60, 52] {
            var part = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
            part.finish(sum: sum, now: store.clock.now(), ttl: ttl)
            _ = try #require(try await store.update(part))
        }
        let cleaner = cleaner(store, maxAttempts: 3)
        // Before its settlement check is due the parent waits; after, the cleaner settles it.
        await cleaner.sweep(now: check.addingTimeInterval(-1), full: false)
        #expect(try await store.job(id: parent.id)?.status == .inProgress)
        await cleaner.sweep(now: check.addingTimeInterval(1), full: false)
        let settled = try #require(try await store.job(id: parent.id))
        #expect(settled.status == .finished && settled.sum == 112)
    }

    @Test(arguments: Backend.contract)
    func partsExpireWithTheirParentNotBefore(_ backend: Backend) async throws {
        let (store, parent) = try await claimedParent(on: backend)
        _ = try await store.split(parent, into: ranges(1_000, 21_000, count: 3), ttl: ttl)
        // Two parts' own results expire within a second, the parent's (settled by the last
        // part) in ten minutes.
        for _ in 0..<2 { try await finishNext(store, ttl: .seconds(1)) { _ in 1 } }
        let settled = try #require(try await finishNext(store) { _ in 1 }.settledParent)
        let later = store.clock.now().addingTimeInterval(300)
        #expect(try await store.deleteExpired(now: later) == 0)
        #expect(try await store.parts(of: parent.id).count == 3)
        #expect(try await store.deleteExpired(now: settled.expiresAt.addingTimeInterval(1)) == 1)
        #expect(try await store.job(id: parent.id) == nil)
        #expect(try await store.parts(of: parent.id).isEmpty)
    }

    func cleaner(_ store: any JobStore, maxAttempts: Int) -> Cleaner {
        Cleaner(
            store: store, interval: .seconds(1), maxAttempts: maxAttempts, resultsTTL: ttl, holder: "cleaner",
            logger: Logger(label: "test"))
    }
}
