import Foundation
import PrimeSumJobs
import Synchronization

/// The jobs this replica queued lately (the last `capacity`), as it stored them: a long-poll that
/// follows its own submit (the usual POST then `GET ?wait=`) starts from that state instead of
/// reading the job again, or from the ended job a change of this replica carried since, unless
/// the store's change feed says it may have changed otherwise (`JobChangeFeed.change(of:since:)`).
/// A tiny job is then read by nobody.
final class SubmittedJobs: Sendable {
    private struct Entry {
        let job: Job
        let mark: JobChangeFeed.Mark
    }
    private struct State {
        var entries: [UUID: Entry] = [:]
        var order: [UUID] = []
        var oldest = 0
    }
    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int = 16_384) {
        self.capacity = capacity
    }

    /// Remembers a job this replica just queued; `mark` is the feed's before it was stored.
    func remember(_ job: Job, mark: JobChangeFeed.Mark) {
        state.withLock { state in
            let entry = Entry(job: job, mark: mark)
            if state.order.count < capacity {
                state.order.append(job.id)
            } else {
                state.entries[state.order[state.oldest]] = nil
                state.order[state.oldest] = job.id
                state.oldest = (state.oldest + 1) % capacity
            }
            state.entries[job.id] = entry
        }
    }

    /// The job as this replica queued it, for `owner`, or as the last change published
    /// since carried it (a job ended by this replica); nil when it must be read. Call it after
    /// subscribing to the job's changes.
    func current(_ id: UUID, owner: String?, feed: JobChangeFeed) -> Job? {
        guard let entry = state.withLock({ $0.entries[id] }), entry.job.owner == owner else { return nil }
        switch feed.change(of: id, since: entry.mark) {
        case .none: return entry.job
        case .carried(let job): return job
        case .unknown: return nil
        }
    }
}
