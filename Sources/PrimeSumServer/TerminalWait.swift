import Foundation
import PrimeSumJobs

/// The long-poll: a job read once it is terminal, or as it is when the wait runs out or the
/// process starts draining, woken by the store's change feed rather than by polling. A change
/// written by this process carries the terminal job (`JobChangeFeed.announce`): the wait then
/// answers with it and reads nothing more.
///
/// A long-poll ends within `StoreDeadline.afterWait` of its deadline, answered or failed.
struct TerminalWait: Sendable {
    let store: any JobStore
    let drain: DrainState

    /// The job once terminal, or as it is at `deadline`; nil when it does not exist. A
    /// `pending` subscription, taken before the caller's own read, is waited on first, which
    /// saves reading the job twice.
    func job(
        _ id: UUID, until deadline: ContinuousClock.Instant, after pending: JobChangeFeed.Subscription? = nil
    ) async throws -> Job? {
        var change = pending
        while true {
            // Once draining, the wake-up has been sent: a wait that starts later would be held.
            if let change, !drain.isDraining,
                let carried = await change.wait(timeout: max(.zero, deadline - ContinuousClock.now)),
                carried.id == id, carried.status.isTerminal
            {
                return carried
            }
            let next = store.changes.subscribe(.job(id))
            change = next
            let read: Job?
            do {
                let store = store
                read = try await StoreDeadline.run(within: deadline + StoreDeadline.afterWait - .now) {
                    try await store.job(id: id)
                }
            } catch {
                // A store that fails must not leave the subscription behind (it would grow with
                // every long-poll during an outage).
                next.cancel()
                throw error
            }
            guard let job = read else {
                next.cancel()
                return nil
            }
            if job.status.isTerminal || deadline <= ContinuousClock.now || drain.isDraining {
                next.cancel()
                return job
            }
        }
    }
}
