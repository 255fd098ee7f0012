import ArgumentParser
import Foundation
import PrimeSumAPI
import PrimeSumClient

/// Where the client commands find the server.
struct ClientOptions: ParsableArguments {
    @Option(help: "The server (env PRIMESUM_SERVER, default http://127.0.0.1:8080).")
    var server: String?

    @Option(help: "API key when the server has auth on (env PRIMESUM_API_KEY).")
    var apiKey: String?

    @Option(
        help:
            "PEM file of the CAs an https:// server's certificate is checked against, instead of the system's (env PRIMESUM_CA_FILE)."
    )
    var caFile: String?

    @Flag(help: "Print the job document as JSON.")
    var json = false

    func makeClient() throws(PrimeSumClientError) -> PrimeSumClient {
        let environment = ProcessInfo.processInfo.environment
        let server = server ?? environment["PRIMESUM_SERVER"] ?? "http://127.0.0.1:8080"
        let apiKey = apiKey ?? environment["PRIMESUM_API_KEY"]
        guard let caFile = caFile ?? environment["PRIMESUM_CA_FILE"] else {
            return PrimeSumClient(baseURL: server, apiKey: apiKey)
        }
        return try PrimeSumClient(baseURL: server, apiKey: apiKey, caFile: caFile)
    }

    /// Prints the job: JSON, the sum when finished, else a status line.
    func show(_ job: JobDocument) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: (try? encoder.encode(job)) ?? Data(), as: UTF8.self))
        } else if let sum = job.sum, job.status == "FINISHED" {
            print(sum)
        } else {
            let progress = job.progress.map { String(format: " %.1f%%", $0 * 100) } ?? ""
            let reason = job.error.map { ": \($0.code): \($0.message)" } ?? ""
            print("\(job.id) \(job.status)\(progress)\(reason)")
        }
    }

    /// Long-polls until the job is terminal, drawing a progress bar on a terminal.
    func follow(_ start: JobDocument, client: PrimeSumClient) async throws -> JobDocument {
        var job = start
        let bar = ProgressBar(label: "[\(job.a), \(job.b))")
        while !job.isTerminal {
            bar?.update(job.progress ?? 0)
            job = try await client.job(id: job.id, wait: 1).job
        }
        if job.status == "FINISHED" {
            bar?.finish()
        } else if bar != nil {
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return job
    }
}

/// Client failures print one line and exit 1.
func reportClientError(_ error: PrimeSumClientError) -> ExitCode {
    FileHandle.standardError.write(Data("primesum: \(error)\n".utf8))
    return ExitCode.failure
}
