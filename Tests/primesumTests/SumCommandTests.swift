import Foundation
import Testing

@Suite struct SumCommandTests {
    @Test func printsTheSum() throws {
        let outcome = try CommandRunner.run(["sum", "1", "60000000"])
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput == "103468900363400\n")
    }

    @Test func printsJSON() throws {
        let outcome = try CommandRunner.run([
            "sum", "0", "100", "--json", "--method", "prefix", "--threads", "1",
        ])
        let object =
            try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
        #expect(object?["sum"] as? String == "1060")
        #expect(object?["a"] as? String == "0")
        #expect(object?["b"] as? String == "100")
        #expect(object?["method"] as? String == "prefix")
        #expect(object?["seconds"] is Double)
    }

    /// [a, b) as S(b - 1) - S(a - 1), each joined from 3 parts computed one after another.
    @Test func partsJoinToTheSumAndEachIsReported() throws {
        let outcome = try CommandRunner.run(["sum", "1e11", "1e12", "--parts", "3", "--json"])
        #expect(outcome.status == 0)
        let object =
            try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
        #expect(object?["sum"] as? String == "18234121474806961230363")
        #expect(object?["method"] as? String == "prefix")
        let parts = try #require(object?["parts"] as? [[String: Any]])
        #expect(
            parts.map { $0["x"] as? String } == Array(repeating: "999999999999", count: 3)
                + Array(repeating: "99999999999", count: 3))
        #expect(parts.map { $0["index"] as? Int } == [0, 1, 2, 0, 1, 2])
        #expect(parts.allSatisfy { ($0["bytes"] as? Int ?? 0) > 100 && $0["seconds"] is Double })
        #expect(outcome.standardError.contains("part 3 of 3 of S(99999999999)"))
    }

    /// The tuning factors move time and memory, never the sum.
    @Test func anyTuningGivesTheSameSum() throws {
        for tuning in [["--alpha", "3"], ["--alpha-z", "5"], ["--alpha", "2", "--alpha-z", "1"]] {
            let outcome = try CommandRunner.run(["sum", "1e11", "1e12", "--method", "prefix"] + tuning)
            #expect(outcome.status == 0 && outcome.standardOutput == "18234121474806961230363\n", "\(tuning)")
        }
    }

    @Test(arguments: [
        (["sum", "x", "5"], "primesum: a must be a non-negative integer (got x)"), (["sum", "5"], "<b>"),
        (["sum", "5", "3"], "primesum: b must be greater than a (got a=5, b=3)"),
        (
            ["sum", "1", "18446744073709551616"],
            "primesum: b must be at most 2^64-1 = 18446744073709551615 (got 18446744073709551616)"
        ),
        (["sum", "--", "-1", "5"], "primesum: a must not be negative (got -1)"), (["sum"], "<a>"),
        (["sum", "1", "2.5"], "primesum: b must be a non-negative integer (got 2.5)"),
        (["sum", "1", "10", "--threads", "0"], "--threads must be at least 1"),
        (["sum", "1", "10", "--method", "magic"], "method"),
        (["sum", "1", "10", "--parts", "0"], "--parts must be 1 ... 10000"),
        (["sum", "1", "10", "--parts", "2", "--method", "sieve"], "--parts splits the prefix method"),
        (["sum", "1", "10", "--alpha", "0.5"], "--alpha must be 1 ... 10000"),
        (["sum", "1", "10", "--alpha-z", "0.5"], "--alpha-z must be 1 ... 10000"),
    ])
    func badInputPrintsOneLineAndExitsWithTwo(_ arguments: [String], _ mention: String) throws {
        let outcome = try CommandRunner.run(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.standardOutput.isEmpty)
        #expect(outcome.standardError.split(separator: "\n").count == 1)
        #expect(outcome.standardError.contains(mention), "\(outcome.standardError)")
    }
}
