import Foundation

extension JobStore {
    /// Submits a job that may be queued (`submit(_:queueing:)`), already claimed for `lease`
    /// by an idle worker of this process when one waits (`JobChangeFeed.reserveIdleWorker`),
    /// and hands it to that worker: such a job costs the store no claim. A worker that stopped
    /// waiting meanwhile leaves the job to the queue (`handBack`, `ttl`).
    public func submit(_ job: Job, toIdleWorkerWithLease lease: Duration, ttl: Duration) async throws
        -> Submission
    {
        guard let idle = changes.reserveIdleWorker() else { return try await submit(job) }
        var claimed = job
        claimed.claim(by: idle.name, lease: lease, now: job.createdAt)
        let submission: Submission
        do {
            submission = try await submit(claimed)
        } catch {
            idle.release()
            throw error
        }
        guard case .accepted(let stored) = submission else {
            idle.release()
            return submission
        }
        if !idle.hand(stored) { await handBack(stored, ttl: ttl) }
        return submission
    }
}
