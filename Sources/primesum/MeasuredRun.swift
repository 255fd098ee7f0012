import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One run of another program, timed and weighed the same way whoever wrote it: wall-clock
/// seconds from spawn to exit and the child's peak resident memory (VmHWM).
///
/// The peak is read from /proc/PID/status every 2 ms while the child runs, not from wait4's
/// ru_maxrss: a child spawned by vfork and exec inherits its parent's high-water mark there,
/// which put every small program at this process's own 27 MB.
struct MeasuredRun {
    var output: String
    var seconds: Double
    var peakBytes: UInt64
    var exitStatus: Int32

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `path` with `arguments`, its standard output captured, its standard error passed on.
    static func run(_ path: String, _ arguments: [String]) throws -> MeasuredRun {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else {
            throw Failure(description: "pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let started = ContinuousClock.now
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(pipe[1])
        guard spawned == 0 else {
            close(pipe[0])
            throw Failure(description: "cannot run \(path): \(String(cString: strerror(spawned)))")
        }
        // The output is a line or two: the pipe's buffer holds it until the child has exited.
        var status: Int32 = 0
        var peakBytes: UInt64 = 0
        while true {
            peakBytes = max(peakBytes, highWaterMark(of: pid))
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid || (waited == -1 && errno != EINTR) { break }
            usleep(2_000)
        }
        let reader = FileHandle(fileDescriptor: pipe[0], closeOnDealloc: true)
        let output = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        let seconds = (ContinuousClock.now - started).seconds
        return MeasuredRun(
            output: output, seconds: seconds, peakBytes: peakBytes, exitStatus: (status >> 8) & 0xff)
    }

    /// The process's peak resident memory so far, from /proc (0 once it has exited).
    private static func highWaterMark(of pid: pid_t) -> UInt64 {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = UInt64(
                line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
        else { return 0 }
        return kilobytes * 1024
    }
}
