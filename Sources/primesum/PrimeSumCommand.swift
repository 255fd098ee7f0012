import ArgumentParser
import Foundation
import PrimeSumServer

/// The `primesum` binary: the service, its client and its tools behind one command.
@main
struct PrimeSumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "primesum",
        abstract: "Exact sums of primes in [a, b), locally or as an asynchronous service.",
        version: PrimeSumVersion.current,
        subcommands: [
            ServeCommand.self, SubmitCommand.self, StatusCommand.self, LoadtestCommand.self, SumCommand.self,
            BenchCommand.self,
        ]
    )

    /// Usage errors print one line and exit with code 2, like other Unix tools.
    static func main() async {
        MemoryAllocator.configure()
        if let problem = ProcessorCheck.problem() {
            FileHandle.standardError.write(Data("primesum: \(problem)\n".utf8))
            Foundation.exit(1)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data("primesum: \(message(for: error))\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
