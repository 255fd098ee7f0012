import Metrics
import Synchronization

/// Coalesces concurrent writes into one transaction (group commit), for the stores that have
/// transactions (SQLite, PostgreSQL): a write starts a flush at
/// once while fewer than `concurrency` run; writes that arrive while they all run wait and go
/// together in the next one. Under light load a write is flushed alone, with no added delay;
/// under heavy load BEGIN, COMMIT and the commit's flush are paid once per batch instead of once
/// per write. More than one flush at a time keeps one stuck flush (a connection that died under
/// it) from holding every write back.
public final class GroupCommit<Item: Sendable, Outcome: Sendable>: Sendable {
    /// Writes a batch in one transaction; one outcome per item, in order.
    public typealias Flush = @Sendable ([Item]) async throws -> [Outcome]

    private struct Waiting {
        let item: Item
        let continuation: CheckedContinuation<Outcome, any Error>
    }
    private struct State {
        var waiting: [Waiting] = []
        var flushing = 0
    }
    private let state = Mutex(State())
    private let maximumBatch: Int
    private let concurrency: Int
    private let flush: Flush
    /// `primesum_store_write_batch_size{store=…}`: its count is the transactions, its sum the writes.
    private let batchSizes: Recorder

    /// - Parameter store: the store's name in the batch-size metric.
    public init(store: String, maximumBatch: Int, concurrency: Int, flush: @escaping Flush) {
        self.maximumBatch = maximumBatch
        self.concurrency = concurrency
        self.flush = flush
        batchSizes = Recorder(label: "primesum_store_write_batch_size", dimensions: [("store", store)])
    }

    /// Writes waiting for a flush to take them.
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Writes `item` with whatever else is waiting; returns once its batch committed.
    public func write(_ item: Item) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let starts = state.withLock { state -> Bool in
                state.waiting.append(Waiting(item: item, continuation: continuation))
                guard state.flushing < concurrency else { return false }
                state.flushing += 1
                return true
            }
            if starts { Task { await self.flushUntilEmpty() } }
        }
    }

    private func flushUntilEmpty() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let batch = Array(state.waiting.prefix(maximumBatch))
                state.waiting.removeFirst(batch.count)
                if batch.isEmpty { state.flushing -= 1 }
                return batch
            }
            if batch.isEmpty { return }
            batchSizes.record(batch.count)
            do {
                let outcomes = try await flush(batch.map(\.item))
                for (waiting, outcome) in zip(batch, outcomes) {
                    waiting.continuation.resume(returning: outcome)
                }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
