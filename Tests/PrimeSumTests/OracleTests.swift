import Foundation
import PrimeSum
import Testing

/// Every row of ../shared/oracles/prime-sums.tsv must come out exact, S(1e15) and S(1e16)
/// included (seconds with the combinatorial prefix method).
@Suite struct OracleTests {
    @Test func oracleFileIsPresent() throws {
        #expect(try SharedFixtures.oracleRows().count >= 30)
    }

    @Test(arguments: ((try? SharedFixtures.oracleRows()) ?? []).map { "\($0.a) \($0.b) \($0.sum)" })
    func oracleRow(_ row: String) async throws {
        try await check(row)
    }

    private func check(_ row: String) async throws {
        let fields = row.split(separator: " ").map(String.init)
        let range = try PrimeRange(parsingA: fields[0], b: fields[1])
        let sum = try await PrimeSumEngine().sum(range)
        #expect("\(sum)" == fields[2], "\(range)")
    }
}
