import Foundation
import PrimeSumClient
import Synchronization
import Testing

/// `scripts/cluster` (PostgreSQL, replicas of `primesum serve`, haproxy) in the test's own
/// directory and ports, and the retries a client of it needs.
struct TestCluster {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
    static let available =
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy")
        && FileManager.default.fileExists(atPath: "/usr/lib/postgresql")
    static let reason: Comment = "needs haproxy and PostgreSQL (scripts/setup installs both)"

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "primesum-cluster-\(UUID())")
    /// The balancer's port; replicas take the next ones and PostgreSQL the port + 100. Each
    /// cluster of this process gets a block of 200 of its own, below Linux's ephemeral range
    /// (32768 and up), where a client socket of another test could hold the port.
    let port = 20_000 + 200 * (TestCluster.nextBlock.add(1, ordering: .relaxed).oldValue % 60)
    private static let nextBlock = Atomic<Int>(Int.random(in: 0..<60))
    /// Variables for `scripts/cluster` beyond the directory and ports (`PRIMESUM_PG_FSYNC=on`).
    var environment: [String: String] = [:]
    /// Flags for every replica's `primesum serve`.
    var serveFlags =
        "--workers-count 1 --engine-threads 1 --lease-seconds 3 --rate-limit-submits-per-second 0 --rate-limit-polls-per-second 0"

    var balancer: String { "http://127.0.0.1:\(port)" }

    /// Runs `scripts/cluster` to completion. posix_spawn and waitpid rather than Foundation's
    /// Process, whose wait never returns when the script leaves daemons behind.
    @discardableResult
    func run(_ arguments: String...) throws -> Int32 {
        var environment = ProcessInfo.processInfo.environment.merging(self.environment) { $1 }
        environment["PRIMESUM_CLUSTER_DIR"] = directory.path
        environment["PRIMESUM_CLUSTER_PORT"] = "\(port)"
        environment["PRIMESUM_PG_PORT"] = "\(port + 100)"
        environment["PRIMESUM_BIN"] = environment["PRIMESUM_BIN"] ?? CommandRunner.binary.path
        environment["PRIMESUM_SERVE_FLAGS"] = serveFlags
        let script = TestCluster.repository.appendingPathComponent("scripts/cluster").path
        let argv = ([script] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, script, nil, nil, argv, envp) == 0 else {
            throw ServerProcessError(message: "cannot run \(script)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status >> 8) & 0xff
    }

    /// Stops everything the cluster started and deletes its store's data (tens of megabytes
    /// per PostgreSQL), keeping the logs for a look after a failure.
    func tearDown() {
        _ = try? run("stop")
        for store in ["postgres", "redis"] {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(store))
        }
    }

    /// How many times each job id was logged as FINISHED by a worker, over all replicas.
    func finishCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
        where name.hasSuffix(".log") {
            let log = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            for line in log.split(separator: "\n") where line.hasSuffix("[PrimeSumJobs] FINISHED") {
                guard let range = line.range(of: "job=") else { continue }
                counts[line[range.upperBound...].prefix(36).lowercased(), default: 0] += 1
            }
        }
        return counts
    }

    /// How many parts of split jobs replica `index` logged as FINISHED.
    func partsFinished(byReplica index: Int) throws -> Int {
        let log = try String(
            contentsOf: directory.appendingPathComponent("replica-\(index).log"), encoding: .utf8)
        return log.split(separator: "\n").count {
            $0.contains(" parent=") && $0.hasSuffix("[PrimeSumJobs] FINISHED")
        }
    }

    /// Retries what a balancer in front of failing replicas may answer (502, 503, 504, no
    /// answer); counts 500s, which must never happen.
    static func retrying<T>(
        _ serverErrors: ErrorCounter, _ operation: () async throws(PrimeSumClientError) -> T
    ) async throws -> T {
        var delay = Duration.milliseconds(100)
        for _ in 0..<60 {
            do {
                return try await operation()
            } catch {
                switch error {
                case .server(let status, _, _, let retryAfter) where [502, 503, 504, 429].contains(status):
                    try await Task.sleep(for: min(delay, .seconds(retryAfter ?? 1)))
                case .server(500, _, _, _):
                    serverErrors.count.add(1, ordering: .relaxed)
                    throw error
                case .transport:
                    try await Task.sleep(for: delay)
                default:
                    throw error
                }
                delay = min(delay * 2, .seconds(2))
            }
        }
        throw PrimeSumClientError.transport("gave up after 60 attempts")
    }
}

/// Counts the 500s the cluster answered.
final class ErrorCounter: Sendable {
    let count = Atomic<Int>(0)
}
