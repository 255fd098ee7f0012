import Foundation
import Testing

/// `serve --log-format json`: every line of standard error is one JSON object, and a job's
/// lines carry its id, the replica and the level as fields.
@Suite struct JSONLogTests {
    @Test func everyLineIsAnObjectWithTheJobReplicaAndLevelAsFields() async throws {
        let server = try await ServerProcess.start([
            "--store-url", "memory:", "--log-format", "json", "--workers-count", "1",
        ])
        defer { server.process.terminate() }
        let submitted = try CommandRunner.run(["submit", "10", "1000", "--wait", "--server", server.baseURL])
        #expect(submitted.status == 0 && submitted.standardOutput == "76110\n", "\(submitted)")
        try await Task.sleep(for: .milliseconds(300))
        let lines = server.output.split(separator: "\n").map(String.init)
        #expect(lines.count >= 3)
        var jobLines = 0
        for line in lines {
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["time"] is String && object["level"] is String && object["message"] is String)
            #expect((object["replica"] as? String)?.hasSuffix("-\(server.process.processIdentifier)") == true)
            if let job = object["job"] as? String {
                #expect(UUID(uuidString: job) != nil)
                jobLines += 1
            }
        }
        #expect(jobLines >= 1, "no line names the job: \(server.output)")
    }

    @Test func anUnknownFormatIsRefused() throws {
        let outcome = try CommandRunner.run(["serve", "--log-format", "yaml"])
        #expect(outcome.status == 2)
        #expect(
            outcome.standardError.contains("log.format (--log-format or LOG_FORMAT) must be text or json"))
    }
}
