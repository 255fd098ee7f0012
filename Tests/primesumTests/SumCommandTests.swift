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

    @Test(arguments: [
        (["sum", "x", "5"], "a:"), (["sum", "5"], "<b>"), (["sum", "5", "3"], "b:"),
        (["sum", "1", "18446744073709551616"], "b:"), (["sum", "--", "-1", "5"], "a:"), (["sum"], "<a>"),
        (["sum", "1", "2.5"], "b:"), (["sum", "1", "10", "--threads", "0"], "threads"),
        (["sum", "1", "10", "--method", "magic"], "method"),
    ])
    func badInputPrintsOneLineAndExitsWithTwo(_ arguments: [String], _ mention: String) throws {
        let outcome = try CommandRunner.run(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.standardOutput.isEmpty)
        #expect(outcome.standardError.split(separator: "\n").count == 1)
        #expect(outcome.standardError.contains(mention), "\(outcome.standardError)")
    }
}
