import Foundation
import PrimeSumJobs
import Synchronization

/// The jobs this replica queued in the last few seconds, as it stored them: a long-poll that
/// follows its own submit (the usual POST then `GET ?wait=`) starts from that state instead of
/// reading the job again, unless the store's change feed says it may have changed since
/// (`JobChangeFeed.mayHaveChanged`). The wait then ends with the change that carries the ended
/// job, and a tiny job is read by nobody.
final class SubmittedJobs: Sendable {
    private struct Entry {
        let job: Job
        let mark: JobChangeFeed.Mark
        let at: ContinuousClock.Instant
    }
    private struct State {
        var entries: [UUID: Entry] = [:]
        var order: [UUID] = []
        var oldest = 0
    }
    private let state = Mutex(State())
    private let capacity: Int
    private let lifetime: Duration

    init(capacity: Int = 16_384, lifetime: Duration = .seconds(10)) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    /// Remembers a job this replica just queued; `mark` is the feed's before it was stored.
    func remember(_ job: Job, mark: JobChangeFeed.Mark) {
        state.withLock { state in
            let entry = Entry(job: job, mark: mark, at: .now)
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

    /// The job as this replica queued it, when it did so lately, for `owner`, and nothing was
    /// published about it since; call it after subscribing to the job's changes.
    func unchanged(_ id: UUID, owner: String?, feed: JobChangeFeed) -> Job? {
        guard
            let entry = state.withLock({ $0.entries[id] }), entry.job.owner == owner,
            ContinuousClock.now - entry.at < lifetime, !feed.mayHaveChanged(id, since: entry.mark)
        else { return nil }
        return entry.job
    }
}
