import Foundation
import Synchronization

/// A `primesum serve` child process on a free loopback port, for end-to-end tests.
final class ServerProcess: Sendable {
    let process: Process
    let port: Int
    private let log: LogBox

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Debian's libfaketime, which sets a process's clock apart (`faketime`).
    static let libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

    /// Starts the server and waits until it listens. With `clockOffset` its wall clock is that
    /// many seconds off (libfaketime; its monotonic clock, which timers run on, is left alone).
    /// `environment` adds to (or replaces) this process's variables.
    static func start(
        _ arguments: [String], clockOffset: Int? = nil, environment extra: [String: String] = [:]
    ) async throws -> ServerProcess {
        let process = Process()
        process.executableURL = CommandRunner.binary
        process.arguments = ["serve", "--http-port", "0", "--log-level", "info"] + arguments
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        if let clockOffset {
            // Preloaded straight into the binary, Debian's libfaketime 0.9.10 left the Swift
            // runtime without its arguments; through sh, which then execs (same process), it
            // does not.
            process.arguments =
                ["-c", #"exec "$0" "$@""#, CommandRunner.binary.path] + (process.arguments ?? [])
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            environment["LD_PRELOAD"] = libfaketime
            environment["FAKETIME"] = "\(clockOffset >= 0 ? "+" : "")\(clockOffset)s"
            environment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        }
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let logBox = LogBox()
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            logBox.append(String(decoding: data, as: UTF8.self))
        }
        try process.run()
        for _ in 0..<300 {
            if let port = logBox.listeningPort() {
                return ServerProcess(process: process, port: port, log: logBox)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let status = process.isRunning ? "still running" : "exited with \(process.terminationStatus)"
        process.terminate()
        throw ServerProcessError(message: "the server did not start (\(status)): \(logBox.text)")
    }

    private init(process: Process, port: Int, log: LogBox) {
        self.process = process
        self.port = port
        self.log = log
    }

    /// Sends `signal` and waits for the process to exit; returns its status.
    @discardableResult
    func stop(signal: Int32, timeout: Duration = .seconds(60)) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                throw ServerProcessError(message: "the server did not exit")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }

    /// Everything the server wrote to standard error so far.
    var output: String { log.text }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

struct ServerProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Collects the server's standard error, shared with the pipe's reading thread.
private final class LogBox: Sendable {
    private let log = Mutex("")

    func append(_ text: String) { log.withLock { $0 += text } }
    var text: String { log.withLock { $0 } }

    /// The port from Hummingbird's "Server started and listening on 127.0.0.1:PORT" line.
    func listeningPort() -> Int? {
        text.range(of: "listening on 127.0.0.1:").flatMap { range in
            Int(text[range.upperBound...].prefix { $0.isNumber })
        }
    }
}
