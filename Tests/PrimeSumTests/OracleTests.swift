import Foundation
import PrimeSum
import Testing

/// Every row of ../shared/oracles/prime-sums.tsv must come out exact. The prefix rows
/// S(1e15) and S(1e16) need minutes and gigabytes, so they run only with
/// PRIMESUM_SLOW_ORACLES=1 (and in `primesum bench --oracles`); every other row runs here.
@Suite struct OracleTests {
    static let slowSeconds = 30.0

    static func rows(slow: Bool) -> [(a: String, b: String, sum: String)] {
        let engine = PrimeSumEngine()
        return ((try? SharedFixtures.oracleRows()) ?? []).filter { row in
            guard let range = try? PrimeRange(parsingA: row.a, b: row.b) else { return !slow }
            return (engine.estimate(range).seconds > slowSeconds) == slow
        }
    }

    @Test func oracleFileIsPresent() throws {
        #expect(try SharedFixtures.oracleRows().count >= 30)
    }

    @Test(arguments: rows(slow: false).map { "\($0.a) \($0.b) \($0.sum)" })
    func oracleRow(_ row: String) async throws {
        try await check(row)
    }

    @Test(
        .enabled(
            if: ProcessInfo.processInfo.environment["PRIMESUM_SLOW_ORACLES"] == "1",
            "S(1e15), S(1e16): minutes and gigabytes; set PRIMESUM_SLOW_ORACLES=1"),
        arguments: rows(slow: true).map { "\($0.a) \($0.b) \($0.sum)" })
    func slowOracleRow(_ row: String) async throws {
        try await check(row)
    }

    private func check(_ row: String) async throws {
        let fields = row.split(separator: " ").map(String.init)
        let range = try PrimeRange(parsingA: fields[0], b: fields[1])
        let sum = try await PrimeSumEngine().sum(range)
        #expect("\(sum)" == fields[2], "\(range)")
    }
}
