import Foundation
import PrimeSum
import PrimeSumAPI
import PrimeSumJobs
import Testing

@testable import PrimeSumServer

/// The document of a split job: its parts' counts, and its progress as the share of the
/// estimated work done, read through `JobStore.partStates`.
@Suite struct SplitJobViewTests {
    /// [1e17, 1e18) as S(1e18 - 1) in 4 pieces less S(1e17 - 1) whole: once the pieces are done
    /// the job is as far along as S(1e18 - 1) weighs against both, each piece counting its
    /// quarter of its prefix sum (counted whole, four pieces would outweigh it 4 to 1).
    @Test func aPieceWeighsItsShareOfItsPrefixSum() async throws {
        let (a, b): (UInt64, UInt64) = (100_000_000_000_000_000, 1_000_000_000_000_000_000)
        let store = MemoryJobStore()
        let now = store.clock.now()
        _ = try await store.submit(Job(a: a, b: b, createdAt: now, expiresAt: now.addingTimeInterval(600)))
        let parent = try #require(try await store.claimNext(worker: "splitter", lease: .seconds(60)))
        let plans =
            (0..<4).map { JobPartPlan(0..<b, piece: JobPiece(index: $0, count: 4)) } + [JobPartPlan(0..<a)]
        _ = try #require(try await store.split(parent, into: plans, ttl: .seconds(600)))
        for _ in 0..<4 {
            let piece = try #require(try await store.claimNext(worker: "w", lease: .seconds(60)))
            #expect(piece.piece != nil)
            _ = try await store.complete([Completion(piece, .finishedPiece([1]))], ttl: .seconds(600))
        }

        let engine = PrimeSumEngine(threads: 1)
        let running = try #require(try await store.job(id: parent.id))
        let document = try await SplitJobView(store: store, engine: engine).document(of: running)
        let whole = engine.estimate(try PrimeRange(a: 0, b: b)).seconds
        let below = engine.estimate(try PrimeRange(a: 0, b: a)).seconds
        #expect(document.parts == JobDocument.Parts(total: 5, finished: 4, running: 0, attempts: 4))
        #expect(abs(try #require(document.progress) - whole / (whole + below)) < 1e-9)
    }
}
