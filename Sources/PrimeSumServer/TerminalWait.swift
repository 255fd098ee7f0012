import Foundation
import PrimeSumJobs

/// The long-poll: a job read once it is terminal, or as it is when the wait runs out, woken by
/// the store's change feed rather than by polling.
struct TerminalWait: Sendable {
    let store: any JobStore

    /// The job once terminal, or as it is after `seconds`; nil when it does not exist. A
    /// `pending` subscription, taken before the caller's own read, is waited on first, which
    /// saves reading the job twice.
    func job(
        _ id: UUID, waitingUpTo seconds: Int, after pending: JobChangeFeed.Subscription? = nil
    ) async throws -> Job? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var change = pending
        while true {
            if let change { await change.wait(timeout: max(.zero, deadline - ContinuousClock.now)) }
            let next = store.changes.subscribe(.job(id))
            change = next
            guard let job = try await store.job(id: id) else {
                next.cancel()
                return nil
            }
            if job.status.isTerminal || deadline <= ContinuousClock.now {
                next.cancel()
                return job
            }
        }
    }
}
