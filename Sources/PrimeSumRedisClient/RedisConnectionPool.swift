import Foundation
import Synchronization

/// A few pipelining connections, used in turn. A connection that closes is opened again on
/// its next use; while Redis cannot be reached, a slot waits longer and longer (50 ms doubling
/// to 2 s) before trying again, and fails fast in between.
public final class RedisConnectionPool: Sendable {
    private struct Slot {
        var connection: Task<RedisConnection, any Error>?
        var failures = 0
        var retryAt = ContinuousClock.now
    }

    private let url: RedisURL
    private let commandTimeout: Duration
    private let slots: Mutex<[Slot]>
    private let next = Atomic<Int>(0)

    public init(url: RedisURL, commandTimeout: Duration = .seconds(10)) {
        self.url = url
        self.commandTimeout = commandTimeout
        slots = Mutex(Array(repeating: Slot(), count: url.poolSize))
    }

    /// Sends `command` on the next connection of the pool and returns its reply (error replies
    /// included, see `RESPValue.orThrow`).
    public func send(_ command: RESPCommand) async throws -> RESPValue {
        let index = next.add(1, ordering: .relaxed).oldValue % url.poolSize
        return try await connection(at: index).send(command)
    }

    /// Sends `command`; throws `RedisClientError.server` for an error reply.
    @discardableResult
    public func run(_ arguments: String...) async throws -> RESPValue {
        try await send(RESPCommand(arguments)).orThrow()
    }

    /// Closes every connection; later commands open them again.
    public func close() {
        let tasks = slots.withLock { slots in
            defer { for index in slots.indices { slots[index].connection = nil } }
            return slots.compactMap(\.connection)
        }
        for task in tasks { Task { try? await task.value.close() } }
    }

    private func connection(at index: Int) async throws -> RedisConnection {
        let (task, fresh) = try slots.withLock { slots throws(RedisClientError) in
            if let task = slots[index].connection { return (task, false) }
            guard ContinuousClock.now >= slots[index].retryAt else {
                throw RedisClientError.connectionFailed(
                    "\(url.host):\(url.port) failed \(slots[index].failures) times in a row; waiting before the next try"
                )
            }
            let url = url
            let commandTimeout = commandTimeout
            let task = Task { try await RedisConnection.connect(to: url, commandTimeout: commandTimeout) }
            slots[index].connection = task
            return (task, true)
        }
        do {
            let connection = try await task.value
            if connection.isActive {
                if fresh { slots.withLock { $0[index].failures = 0 } }
                return connection
            }
            // Closed since it was opened (a timeout, a restarted server): open it again, once.
            discard(task, at: index, failed: false)
            if fresh { throw RedisClientError.connectionFailed("the connection closed as it opened") }
            return try await self.connection(at: index)
        } catch {
            discard(task, at: index, failed: true)
            throw error
        }
    }

    private func discard(_ task: Task<RedisConnection, any Error>, at index: Int, failed: Bool) {
        slots.withLock { slots in
            // Another caller may have replaced the connection already.
            guard slots[index].connection == task else { return }
            slots[index].connection = nil
            if failed {
                slots[index].failures += 1
                let delay = Duration.milliseconds(50) * (1 << min(slots[index].failures - 1, 5))
                slots[index].retryAt = ContinuousClock.now + min(delay, .seconds(2))
            }
        }
    }
}
