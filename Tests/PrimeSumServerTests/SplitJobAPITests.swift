import Foundation
import Hummingbird
import HummingbirdTesting
import PrimeSum
import PrimeSumJobs
import Testing

@testable import PrimeSumServer

/// A job split into parts (`jobs.splitSeconds`) through the API, on the memory store with real
/// workers and engine: the sum, the parts in the document, parts hidden from the API, DELETE.
@Suite struct SplitJobAPITests {
    /// Submits [a, b) and long-polls it: its id and its document once ended (or after 60 s).
    static func submitAndWait(_ range: PrimeRange, client: some TestClientProtocol) async throws -> (
        String, [String: Any]
    ) {
        let id = try await client.execute(
            uri: "/sumPrime", method: .post, headers: APITests.json,
            body: ByteBuffer(string: #"{"a":"\#(range.a)","b":"\#(range.b)"}"#)
        ) { try APITests.object($0.body)["_id"] as? String ?? "" }
        let document = try await client.execute(uri: "/sumPrime/\(id)?wait=60", method: .get) {
            try APITests.object($0.body)
        }
        return (id, document)
    }

    @Test func aSplitJobFinishesWithTheExactSumAndShowsItsParts() async throws {
        let store = MemoryJobStore()
        let app = try APITests.app(store: store) {
            $0.splitSeconds = 0.1
            $0.partSetUpShare = 0.25
        }
        // About 0.6 s of sieving on one thread.
        let range = try PrimeRange(a: 100_000_000_000_000, b: 100_002_000_000_000)
        let expected = try await PrimeSumEngine(threads: 2).sum(range)
        try await app.test(.router) { client in
            let (id, document) = try await Self.submitAndWait(range, client: client)
            #expect(document["status"] as? String == "FINISHED")
            #expect(document["sum"] as? String == "\(expected)")
            #expect(document["progress"] as? Double == 1)
            let parts = try await store.parts(of: try #require(UUID(uuidString: id)))
            #expect(parts.count > 5, "only \(parts.count) parts")
            let counts = try #require(document["parts"] as? [String: Int])
            #expect(
                counts == [
                    "total": parts.count, "finished": parts.count, "running": 0, "attempts": parts.count,
                ])
            // Parts are not jobs of the API.
            for part in parts.prefix(3) {
                for method in [HTTPRequest.Method.get, .delete] {
                    try await client.execute(
                        uri: "/sumPrime/\(part.id.uuidString.lowercased())", method: method
                    ) {
                        #expect($0.status == .notFound)
                    }
                }
            }
            #expect(try await store.parts(of: parts[0].parent!).allSatisfy { $0.status == .finished })
        }
    }

    /// A prefix job [a, b) as S(b - 1) and S(a - 1), each in pieces that the workers compute
    /// and the store joins when the job settles.
    @Test func aPrefixJobInPiecesFinishesWithTheExactSum() async throws {
        let store = MemoryJobStore()
        let app = try APITests.app(store: store) {
            $0.splitSeconds = 0.000_1
            $0.pieceSeconds = 0.000_01
        }
        let range = try PrimeRange(a: 20_000_000_000, b: 300_000_000_000)
        let engine = PrimeSumEngine(threads: 2)
        #expect(engine.estimate(range).method == .prefix)
        // The prefix method whole (its pieces are checked against primesieve in PrefixSumPartTests).
        let expected = try await engine.sum(range)
        try await app.test(.router) { client in
            let (id, document) = try await Self.submitAndWait(range, client: client)
            #expect(document["status"] as? String == "FINISHED")
            #expect(document["sum"] as? String == "\(expected)")
            let parts = try await store.parts(of: try #require(UUID(uuidString: id)))
            let count = CostModel.maximumPieces
            #expect(parts.count == 2 * count)
            #expect(
                Set(parts.compactMap { $0.piece.map { "\($0)" } })
                    == Set((0..<count).map { "\($0)/\(count)" }))
            #expect(
                Set(parts.map(\.b)) == [range.a, range.b] && parts.allSatisfy { $0.a == 0 && $0.sum == nil })
            #expect(parts.allSatisfy { $0.status == .finished && $0.pieceResult != nil })
            let counts = try #require(document["parts"] as? [String: Int])
            #expect(counts["total"] == 2 * count && counts["finished"] == 2 * count)
        }
    }

    @Test func deleteOfASplitJobCancelsItsPartsAndStopsTheirComputations() async throws {
        let store = MemoryJobStore()
        let engine = PrimeSumEngine(threads: 1)
        let app = try APITests.app(store: store, engine: engine) {
            $0.splitSeconds = 0.3
            $0.partSetUpShare = 0.25
            // Two of the three workers on parts: the DELETE must stop two computations, and
            // the third worker must not take a part.
            $0.workers = 3
            $0.partWorkers = 2
        }
        try await app.test(.router) { client in
            // About 3.5 s of sieving on one thread, in parts of about 0.3 s.
            let id = try await client.execute(
                uri: "/sumPrime", method: .post, headers: APITests.json,
                body: ByteBuffer(string: #"{"a":"1000000000000000","b":"1000010000000000"}"#)
            ) { try APITests.object($0.body)["_id"] as? String ?? "" }
            let parentID = try #require(UUID(uuidString: id))
            var document: [String: Any] = [:]
            var mostComputations = 0
            for _ in 0..<1_000 {
                mostComputations = max(mostComputations, engine.runningComputations)
                document = try await client.execute(uri: "/sumPrime/\(id)", method: .get) {
                    try APITests.object($0.body)
                }
                if let parts = document["parts"] as? [String: Int], parts["finished"]! >= 2 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let counts = try #require(document["parts"] as? [String: Int])
            let progress = try #require(document["progress"] as? Double)
            #expect(counts["total"]! >= 8 && counts["finished"]! >= 2)
            // The two part slots let at most two parts compute at once. The document may count a third
            // part running: one computed whose completion is still on its way to the store.
            #expect(mostComputations <= 2)
            // Progress is the estimated work finished: the finished parts' share, and less than
            // that plus the running ones'.
            let total = Double(counts["total"]!)
            #expect(progress >= Double(counts["finished"]!) / total * 0.9)
            #expect(progress <= Double(counts["finished"]! + counts["running"]!) / total * 1.1)
            for _ in 0..<250 where engine.runningComputations < 2 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(engine.runningComputations == 2, "the parts never ran on both workers")
            try await client.execute(uri: "/sumPrime/\(id)", method: .delete) {
                #expect(APITests.field($0.body, "status") == "CANCELLED")
            }
            let parts = try await store.parts(of: parentID)
            #expect(
                parts.allSatisfy { $0.status.isTerminal },
                "parts left: \(parts.filter { !$0.status.isTerminal }.count)")
            #expect(parts.count { $0.status == .cancelled } >= parts.count - counts["finished"]! - 4)
            #expect(try await store.queuedCount() == 0)
            for _ in 0..<250 where engine.runningComputations > 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(engine.runningComputations == 0, "a part still computes after DELETE")
        }
    }
}
