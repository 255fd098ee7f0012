import Foundation

/// The fence of a claim: which worker holds a job and under which attempt. Every intent a
/// worker sends about a running job (renew its lease, complete it, split it) names the lease it
/// was claimed with, and the store acts only while the job is still IN_PROGRESS under that same
/// lease. A worker that was paused or cut off past its lease, after which the job was requeued
/// and claimed again, is refused: the attempt number moved on even when the worker's name did not.
public struct JobLease: Hashable, Sendable {
    public var id: UUID
    public var owner: String
    public var attempt: Int

    public init(id: UUID, owner: String, attempt: Int) {
        self.id = id
        self.owner = owner
        self.attempt = attempt
    }
}

extension Job {
    /// The lease this job is held under while a worker computes it; nil when queued, ended or
    /// split (nothing computes a split parent).
    public var lease: JobLease? {
        guard status == .inProgress, let leaseOwner else { return nil }
        return JobLease(id: id, owner: leaseOwner, attempt: attempts)
    }
}

/// How a worker ends a job it holds.
public enum JobOutcome: Sendable, Equatable {
    case finished(UInt128)
    /// A piece of a prefix sum (`Job.piece`) computed: its result's bytes.
    case finishedPiece([UInt8])
    case failed(JobFailure)
    /// The worker stops before the end (it is draining): the job goes back to the queue,
    /// the attempt not counted.
    case handedBack
}

/// One job's end, as its worker asks the store for it (`JobStore.complete`).
public struct Completion: Sendable {
    /// The job as the worker claimed it: its lease is the fence, and a store that writes whole
    /// rows writes the ended job from it.
    public var claimed: Job
    public var outcome: JobOutcome

    public init(_ claimed: Job, _ outcome: JobOutcome) {
        self.claimed = claimed
        self.outcome = outcome
    }
}

/// What `JobStore.complete` did for one completion.
public struct CompletionResult: Sendable, Equatable {
    /// The job as stored, or nil when the store refused the completion (the job was no longer
    /// held under the completion's lease: cancelled, or requeued after its lease lapsed).
    public var job: Job?
    /// For a part: its parent, when this completion settled it.
    public var settledParent: Job?

    public init(job: Job?, settledParent: Job? = nil) {
        self.job = job
        self.settledParent = settledParent
    }
}

/// One running job's lease to renew and the progress to write with it
/// (`JobStore.renewLeases`).
public struct LeaseRenewal: Sendable {
    public var lease: JobLease
    public var progress: Double

    public init(_ lease: JobLease, progress: Double) {
        self.lease = lease
        self.progress = progress
    }
}
