import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One run of another program, timed and weighed the same way whoever wrote it: wall-clock
/// seconds from spawn to exit and the kernel's peak resident memory of the child (wait4).
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
        let reader = FileHandle(fileDescriptor: pipe[0], closeOnDealloc: true)
        let output = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
        let seconds = (ContinuousClock.now - started).seconds
        return MeasuredRun(
            output: output, seconds: seconds, peakBytes: UInt64(usage.ru_maxrss) * 1024,
            exitStatus: (status >> 8) & 0xff)
    }
}
