import Synchronization

/// Runs `body` in a task of its own and returns its result, or throws `expired()` when `limit`
/// passes first; the task is then cancelled and left behind rather than awaited.
///
/// Why not a task group: a group waits for every child, and the child this guards against never
/// returns. postgres-nio 1.33 writes a query to its channel without a write promise, so a query
/// sent on a connection that closed a moment earlier (PostgreSQL restarting) is dropped and its
/// caller waits forever; a network partition without a reset does the same on any store's
/// connection until TCP gives up.
/// The pool frees a closed connection's slot itself, so what is left behind is one suspended
/// task, not a connection.
public func withDeadline<T: Sendable>(
    _ limit: Duration, expired: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = FirstOutcome<T>()
    let work = Task { outcome.settle(await Result { try await body() }) }
    let timer = Task {
        try await Task.sleep(for: limit)
        outcome.settle(.failure(expired()))
        work.cancel()
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { outcome.install($0) }
    } onCancel: {
        work.cancel()
    }
}

/// The first result offered, delivered once to the waiting continuation.
private final class FirstOutcome<T: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<T, any Error>)
        case settled(Result<T, any Error>)
        case delivered
    }
    private let state = Mutex(State.empty)

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let ready = state.withLock { state -> Result<T, any Error>? in
            guard case .settled(let result) = state else {
                state = .waiting(continuation)
                return nil
            }
            state = .delivered
            return result
        }
        if let ready { continuation.resume(with: ready) }
    }

    func settle(_ result: Result<T, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<T, any Error>? in
            switch state {
            case .empty:
                state = .settled(result)
                return nil
            case .waiting(let continuation):
                state = .delivered
                return continuation
            case .settled, .delivered:
                return nil
            }
        }
        continuation?.resume(with: result)
    }
}

extension Result where Failure == any Error {
    fileprivate init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
