/// What `JobStore.submit` made of a job: stored, found under its idempotency key, or answered
/// by a result already stored for its range.
public enum Submission: Sendable, Equatable {
    /// Stored as submitted: QUEUED, or IN_PROGRESS when it came already claimed by an idle
    /// worker of the submitting process (`JobChangeFeed.reserveIdleWorker`).
    case accepted(Job)
    /// Its idempotency key was already stored for its owner: the job holding it; nothing stored.
    case duplicate(Job)
    /// Its range already had an unexpired FINISHED result: the owner's own finished job, or
    /// the submitted job finished with that sum (`Job.answered(sum:)`) and stored for the owner.
    case answered(Job)

    /// The job the submission refers to.
    public var job: Job {
        switch self {
        case .accepted(let job), .duplicate(let job), .answered(let job): job
        }
    }
}

extension Submission {
    /// The submission of `job` (no key stored yet) given `known`, the result the store found
    /// for its range (nil: none, or `job` is a part), with the job the store must insert for
    /// it to hold; nil for both when nothing answered a job that may not be stored.
    public static func of(_ job: Job, answeredBy known: Job?, queueing: Bool) -> (
        insert: Job?, submission: Submission?
    ) {
        if let known, let sum = known.sum {
            // Another owner's job stays invisible: this owner gets a finished job of its own.
            if known.owner == job.owner { return (nil, .answered(known)) }
            let answered = job.answered(sum: sum)
            return (answered, .answered(answered))
        }
        return queueing ? (job, .accepted(job)) : (nil, nil)
    }
}
