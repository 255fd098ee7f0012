import ArgumentParser
import Foundation
import PrimeSumClient

/// `primesum status ID`: shows a job.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a job: the sum when finished, else its status and progress.")

    @Argument(help: "The job id.") var id: String
    @Flag(help: "Wait for the job to finish, with a progress bar on a terminal.") var wait = false
    @OptionGroup var options: ClientOptions

    func run() async throws {
        do {
            let client = try options.makeClient()
            var job = try await client.job(id: id).job
            if wait { job = try await options.follow(job, client: client) }
            options.show(job)
        } catch let error as PrimeSumClientError {
            throw reportClientError(error)
        }
    }
}
