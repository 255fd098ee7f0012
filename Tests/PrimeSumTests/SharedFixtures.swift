import Foundation

/// Files from the project's shared folder (`../shared` beside the repository, or
/// `PRIMESUM_SHARED_DIR`): the oracle sums and the seed workload.
enum SharedFixtures {
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["PRIMESUM_SHARED_DIR"] {
            return URL(fileURLWithPath: override)
        }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return repository.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// The rows (a, b, sum) of oracles/prime-sums.tsv.
    static func oracleRows() throws -> [(a: String, b: String, sum: String)] {
        let url = directory.appendingPathComponent("oracles/prime-sums.tsv")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst().compactMap {
            line in
            let fields = line.split(separator: "\t").map(String.init)
            return fields.count == 3 ? (fields[0], fields[1], fields[2]) : nil
        }
    }
}
