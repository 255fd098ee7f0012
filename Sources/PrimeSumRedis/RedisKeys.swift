import Foundation
import PrimeSumJobs

/// The names of everything the store keeps in Redis, all under one prefix (`primesum:` by
/// default). The scripts of `RedisScript` build the same job, result and idempotency names
/// from a job's fields when they sweep expired jobs and expire parts; the two must agree.
struct RedisKeys: Sendable {
    /// `prefix:`, ready to have a name appended.
    let prefix: String

    init(prefix: String) {
        self.prefix = prefix + ":"
    }

    /// A job's hash, its fields named as `JobRecord.columns`.
    func job(_ id: UUID) -> String { prefix + "job:" + Self.member(id) }
    /// QUEUED job ids by creation instant (ms): the queue of whole jobs.
    var queue: String { prefix + "queue" }
    /// QUEUED parts of split jobs, likewise: apart, so that a claim may pass them by.
    var partQueue: String { prefix + "part-queue" }
    /// The queue `job` waits in when QUEUED.
    func queue(of job: Job) -> String { job.parent == nil ? queue : partQueue }
    /// IN_PROGRESS job ids by lease expiry (ms).
    var leases: String { prefix + "leases" }
    /// Terminal job ids by expiry (ms), for the cleaner; Redis also expires each key itself.
    var expiry: String { prefix + "expiry" }
    /// The id of the job an owner created with an idempotency key.
    func idempotency(key: String, owner: String?) -> String {
        let owner = owner ?? ""
        return prefix + "idem:\(owner.utf8.count):\(owner):\(key)"
    }
    /// The ids of a job's parts (a set).
    func parts(_ parent: UUID) -> String { prefix + "parts:" + Self.member(parent) }
    /// The id of the last job FINISHED for exactly [a, b).
    func result(a: UInt64, b: UInt64) -> String { prefix + "result:\(a):\(b)" }
    /// The cleaner lease: `until|holder`.
    var cleaner: String { prefix + "cleaner" }
    /// Replica name → heartbeat document, and replica name → listed-until (ms).
    var heartbeats: String { prefix + "heartbeats" }
    var heartbeatsUntil: String { prefix + "heartbeats-until" }
    /// The pub/sub channel of job changes: `q:ID:WRITER` when a job is queued, `j:ID:WRITER`
    /// when a write changes its status otherwise (a claim publishes nothing); WRITER tags the
    /// store that wrote it, which announced the change itself and skips its own.
    var changes: String { prefix + "changes" }

    /// A job id as the sorted sets and the channel carry it.
    static func member(_ id: UUID) -> String { id.uuidString.lowercased() }
}
