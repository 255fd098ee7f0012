import Foundation
import PrimeSum
import PrimeSumJobs

/// The document of a job as the API and the console's events show it; for a job split into
/// parts, with the parts' counts and progress as the share of the estimated work finished
/// (each part weighs its estimate). Reading a parent whose parts have all ended settles it,
/// should the worker that wrote the last part have died before it did (`JobParts`).
struct SplitJobView: Sendable {
    let store: any JobStore
    let engine: PrimeSumEngine
    let parts: JobParts

    init(store: any JobStore, engine: PrimeSumEngine, resultsTTL: Duration) {
        self.store = store
        self.engine = engine
        parts = JobParts(store: store, resultsTTL: resultsTTL)
    }

    /// The job as it stands now (settled when its parts allow) and its document.
    func document(of job: Job) async throws -> (job: Job, document: JobDocument) {
        let (job, parts, progress) = try await view(of: job)
        return (job, JobDocument(job, parts: parts, progress: progress, now: store.clock.now()))
    }

    /// The job to show, its parts' counts and its progress; no counts for a job that was not
    /// split.
    private func view(of job: Job) async throws -> (job: Job, parts: JobDocument.Parts?, progress: Double?) {
        guard job.partCount > 0 else { return (job, nil, nil) }
        var job = job
        var parts = try await store.parts(of: job.id)
        if let settled = try await self.parts.settle(job, parts: parts, now: store.clock.now()) {
            job = settled
            // A failed job's other parts were cancelled just now.
            if settled.status == .failed { parts = try await store.parts(of: job.id) }
        }
        let counts = JobDocument.Parts(
            total: job.partCount, finished: parts.count { $0.status == .finished },
            running: parts.count { $0.status == .inProgress }, attempts: parts.reduce(0) { $0 + $1.attempts })
        return (job, counts, progress(of: parts))
    }

    /// The estimated work of the finished parts and the finished share of the running ones,
    /// over the estimated work of all.
    private func progress(of parts: [Job]) -> Double {
        var done = 0.0
        var total = 0.0
        for part in parts {
            guard let range = try? PrimeRange(a: part.a, b: part.b) else { continue }
            let weight = max(engine.estimate(range).seconds, 1e-9)
            total += weight
            switch part.status {
            case .finished: done += weight
            case .inProgress: done += weight * part.progress
            case .queued, .failed, .cancelled: break
            }
        }
        return total > 0 ? min(1, done / total) : 0
    }
}
