import Foundation
import PrimeSum
import PrimeSumAPI
import PrimeSumJobs

/// The document of a job as the API and the console's events show it; for a job split into
/// parts, with the parts' counts and progress as the share of the estimated work finished
/// (each part weighs its estimate). It only reads: the completion of a job's last part
/// settles it (`JobStore.complete`), or else the cleaner (`Job.settlementCheck`).
struct SplitJobView: Sendable {
    let store: any JobStore
    let engine: PrimeSumEngine

    /// The job's document.
    func document(of job: Job) async throws -> JobDocument {
        let (parts, progress) = try await view(of: job)
        return JobDocument(job, parts: parts, progress: progress, now: store.clock.now())
    }

    /// The parts' counts and the job's progress; none for a job that was not split.
    private func view(of job: Job) async throws -> (parts: JobDocument.Parts?, progress: Double?) {
        guard job.partCount > 0 else { return (nil, nil) }
        let (store, id) = (store, job.id)
        let parts = try await StoreDeadline.run { try await store.partStates(of: id) }
        let counts = JobDocument.Parts(
            total: job.partCount, finished: parts.count { $0.status == .finished },
            running: parts.count { $0.status == .inProgress }, attempts: parts.reduce(0) { $0 + $1.attempts })
        return (counts, progress(of: parts))
    }

    /// The estimated work of the finished parts and the finished share of the running ones,
    /// over the estimated work of all; a piece weighs its share of its prefix sum.
    private func progress(of parts: [JobPartState]) -> Double {
        var done = 0.0
        var total = 0.0
        for part in parts {
            guard let range = try? PrimeRange(a: part.range.lowerBound, b: part.range.upperBound) else {
                continue
            }
            let weight = max(engine.estimate(range).seconds / Double(part.piece?.count ?? 1), 1e-9)
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
