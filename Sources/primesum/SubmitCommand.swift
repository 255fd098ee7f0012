import ArgumentParser
import Foundation
import PrimeSum
import PrimeSumClient

/// `primesum submit A B`: queues a sum on a server, optionally waiting for it.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit [A, B) to a server; print the job id, or the sum with --wait.")

    @Argument(help: "The inclusive lower bound.") var a: String
    @Argument(help: "The exclusive upper bound.") var b: String
    @Flag(help: "Wait for the result, with a progress bar on a terminal.") var wait = false
    @Option(help: "Idempotency-Key: resubmitting with the same key returns the same job.") var idempotencyKey:
        String?
    @OptionGroup var options: ClientOptions

    func validate() throws {
        do { _ = try PrimeRange(parsingA: a, b: b) } catch { throw ValidationError(error.description) }
    }

    func run() async throws {
        let range = try PrimeRange(parsingA: a, b: b)
        do {
            let client = try options.makeClient()
            var job = try await client.submit(
                a: "\(range.a)", b: "\(range.b)", idempotencyKey: idempotencyKey
            ).job
            if wait { job = try await options.follow(job, client: client) }
            if !wait && !options.json {
                print(job.status == "FINISHED" ? job.sum ?? job.id : job.id)
            } else {
                options.show(job)
            }
            if job.isTerminal && job.status != "FINISHED" { throw ExitCode.failure }
        } catch let error as PrimeSumClientError {
            throw reportClientError(error)
        }
    }
}
