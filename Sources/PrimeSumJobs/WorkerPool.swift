import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import Tracing

/// Computes a job: its sum (`JobOutcome.finished`), or for a piece of a prefix sum (`Job.piece`)
/// the piece's result (`finishedPiece`); reports progress (0...1) through the callback and
/// throws `CancellationError` when its task is cancelled. The server hands the pool the engine
/// through this.
public typealias JobComputation =
    @Sendable (Job, _ progress: @Sendable @escaping (Double) -> Void) async throws -> JobOutcome

/// The parts a job is split into (see `JobStore.split`), or fewer than two to compute it
/// whole. The server hands the pool the engine's split through this.
public typealias JobSplitter = @Sendable (Job) -> [JobPartPlan]

/// What a job's `compute` span records about the computation (the engine's method and
/// estimate); asked only when the span records.
public typealias JobDescription = @Sendable (Job) -> SpanAttributes

/// `workers` workers that claim QUEUED jobs from the store with a lease and complete them
/// through the store's fenced `complete`, while one `LeaseKeeper` renews the leases of all the
/// pool's running jobs together. A job the store stops holding under its worker's lease
/// (cancelled by DELETE, or requeued after a lapsed lease) has its computation cancelled. On
/// graceful shutdown no new job is claimed; running jobs get `drainTimeout` to finish, then go
/// back to QUEUED for another replica. A job that `split` cuts into parts is not computed by the
/// worker that claimed it: its parts go into the queue (`JobStore.split`), and the completion
/// of the last of them settles it. At most `partWorkers` workers compute parts at once; the
/// others claim whole jobs only, so that a split job's parts, queued ahead of every job
/// submitted after it, never hold every worker while those jobs wait. Each attempt at a job
/// submitted in a trace continues that trace (`JobAttemptTrace`).
public struct WorkerPool: Service {
    public struct Configuration: Sendable {
        public var workers: Int
        /// How many workers may compute parts of split jobs at once.
        public var partWorkers: Int
        public var leaseDuration: Duration
        /// How often the pool renews the leases of its running jobs (and writes their progress).
        public var leaseRenewalInterval: Duration
        /// How long an idle worker waits for a wake-up before it asks the store anyway: the
        /// fallback for a lost notification, so it can be slow.
        public var idlePollInterval: Duration
        public var resultsTTL: Duration
        public var drainTimeout: Duration

        /// `partWorkers` defaults to all workers but one (at least one): with an engine
        /// thread per core, one part keeps the cores busy and a worker stays free for the jobs
        /// submitted meanwhile.
        public init(
            workers: Int, partWorkers: Int? = nil, leaseDuration: Duration = .seconds(15),
            leaseRenewalInterval: Duration = .milliseconds(250),
            idlePollInterval: Duration = .seconds(5), resultsTTL: Duration = .seconds(600),
            drainTimeout: Duration = .seconds(20)
        ) {
            self.workers = workers
            self.partWorkers = partWorkers ?? max(1, workers - 1)
            self.leaseDuration = leaseDuration
            self.leaseRenewalInterval = leaseRenewalInterval
            self.idlePollInterval = idlePollInterval
            self.resultsTTL = resultsTTL
            self.drainTimeout = drainTimeout
        }
    }

    private let store: any JobStore
    private let configuration: Configuration
    private let compute: JobComputation
    private let split: JobSplitter
    private let describe: JobDescription
    private let tracer: any Tracer
    private let leases: LeaseKeeper
    private let logger: Logger
    private let name: String
    private let activity: ReplicaActivity
    private let partSlots: PartSlots
    /// The pool's workers by name (`NAME-INDEX`), the lease owners of its jobs.
    private let workerNames: Set<String>
    private let metrics: any MetricsFactory
    private let inProgress: Meter
    private let queueWait: Timer
    private let processing: Timer

    /// `activity` counts the jobs this pool runs and finishes, for the replica's heartbeat;
    /// `metrics` records the pool's figures and `tracer` its spans (the bootstrapped systems
    /// unless a test gives its own).
    public init(
        store: any JobStore, configuration: Configuration, logger: Logger,
        name: String = "worker-\(UUID().uuidString.prefix(8))", activity: ReplicaActivity = ReplicaActivity(),
        metrics: any MetricsFactory = MetricsSystem.factory,
        tracer: any Tracer = InstrumentationSystem.tracer,
        split: @escaping JobSplitter = { _ in [] }, describe: @escaping JobDescription = { _ in [:] },
        compute: @escaping JobComputation
    ) {
        self.metrics = metrics
        inProgress = Meter(label: "primesum_jobs_in_progress", factory: metrics)
        queueWait = Timer(label: "primesum_job_queue_wait_seconds", factory: metrics)
        processing = Timer(label: "primesum_job_processing_seconds", factory: metrics)
        self.store = store
        self.configuration = configuration
        self.compute = compute
        self.split = split
        self.describe = describe
        self.tracer = tracer
        leases = LeaseKeeper(
            store: store, lease: configuration.leaseDuration, interval: configuration.leaseRenewalInterval,
            logger: logger)
        self.logger = logger
        self.name = name
        self.activity = activity
        partSlots = PartSlots(configuration.partWorkers)
        workerNames = Set((0..<configuration.workers).map { "\(name)-\($0)" })
    }

    public func run() async throws {
        let drain = Drain()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await leases.run(deadlinePassed: { drain.deadlinePassed }) }
                await withDiscardingTaskGroup { workers in
                    for worker in workerNames {
                        workers.addTask { await work(as: worker, drain: drain) }
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            drain.begin(timeout: configuration.drainTimeout)
            store.changes.publish(.queue)
        }
    }

    /// Claims and computes jobs one after another. A worker woken for a queued job
    /// (`JobChangeFeed`'s queue wake-ups, held while every worker is busy) claims once and,
    /// after the job, waits for the next wake-up: it asks no empty queue. At start, after each
    /// `idlePollInterval` without a wake-up (one may have been lost, or a job queued before
    /// this process started) and when woken for a backlog, it claims until the queue is empty,
    /// each time for the pool's idle workers too (`claim(as:forIdleWorkers:)`).
    /// A waiting worker may instead be handed a job: one this process's API stored already
    /// claimed by it (`JobChangeFeed.reserveIdleWorker`), or one another worker claimed for it;
    /// it computes that without a claim of its own.
    /// A job's completion overlaps the next jobs (up to `completionsInFlight` per worker): with
    /// a networked store, a worker on tiny jobs otherwise computes one job a round trip.
    private func work(as worker: String, drain: Drain) async {
        await withTaskGroup(of: Void.self) { completions in
            var followBacklog = true
            var inFlight = 0
            while !drain.isDraining && !Task.isCancelled {
                var handed: Job?
                if !followBacklog {
                    let started = ContinuousClock.now
                    let wakeUp = store.changes.subscribe(.queue, worker: worker)
                    handed = await wakeUp.wait(timeout: configuration.idlePollInterval)
                    if drain.isDraining || Task.isCancelled {
                        if let handed { await giveBack(handed) }
                        break
                    }
                    // A job another worker claimed from a backlog for this one leaves it to
                    // look for more after it; one its API handed it does not.
                    followBacklog =
                        wakeUp.mayFindBacklog
                        || (handed == nil && ContinuousClock.now - started >= configuration.idlePollInterval)
                }
                do {
                    let next: Job?
                    let claimStarted = DefaultTracerClock.now
                    if let handed {
                        next = handed
                    } else {
                        let claim = try await claim(as: worker, forIdleWorkers: followBacklog)
                        next = claim.own
                        // The backlog ends with a claim that found nothing for any worker.
                        if claim.own == nil && !claim.handedOn { followBacklog = false }
                    }
                    guard let job = next else { continue }
                    // A worker computes a part only while it holds one of the pool's part
                    // slots, taken for it by the claim.
                    defer { if job.parent != nil { partSlots.give() } }
                    let trace = JobAttemptTrace(
                        job, worker: worker, tracer: tracer, claimStarted: handed == nil ? claimStarted : nil)
                    if job.parent == nil, job.partCount == 0, case let parts = split(job), parts.count > 1 {
                        await trace.during(
                            "split", attributes: ["primesum.parts": .int64(Int64(parts.count))]
                        ) {
                            await splitJob(job, into: parts)
                        }
                        trace.end("split")
                        continue
                    }
                    let ending = await run(job, drain: drain, trace: trace)
                    // The next part is this worker's to look for: the wake-ups of queued parts
                    // may have gone to workers that take whole jobs only.
                    if job.parent != nil { followBacklog = true }
                    if inFlight == Self.completionsInFlight, await completions.next() != nil { inFlight -= 1 }
                    if let ending {
                        completions.addTask { await record(ending) }
                        inFlight += 1
                    }
                } catch {
                    followBacklog = false
                    logger.log(
                        level: JobStoreError.logLevel(of: error), "could not claim a job",
                        metadata: ["worker": "\(worker)", "error": "\(error)"])
                }
            }
        }
    }

    /// Claims the next job for `worker` and, when `forIdleWorkers`, one for each of the pool's
    /// workers that waits idle, in one round trip, and hands those over: draining a backlog
    /// costs a claim per busy spell of the pool, not per job. Asks for as many parts as there
    /// are free part slots, and keeps one for each part claimed; parts another claim of this
    /// pool took the slots for meanwhile go back to the queue at once. Returns `worker`'s job,
    /// and whether any other worker was handed one.
    private func claim(as worker: String, forIdleWorkers: Bool) async throws -> (own: Job?, handedOn: Bool) {
        var idle: [JobChangeFeed.IdleWorker] = []
        while forIdleWorkers, idle.count < configuration.workers - 1,
            let reserved = store.changes.reserveIdleWorker(among: workerNames)
        {
            idle.append(reserved)
        }
        let names = [worker] + idle.map(\.name)
        var jobs: [Job]
        do {
            jobs = try await store.claim(
                for: names, lease: configuration.leaseDuration, parts: min(partSlots.available, names.count))
        } catch {
            for reserved in idle { reserved.release() }
            throw error
        }
        let parts = jobs.filter { $0.parent != nil }
        for excess in parts.dropFirst(partSlots.take(upTo: parts.count)) {
            await store.handBack(excess, ttl: configuration.resultsTTL)
            jobs.removeAll { $0.id == excess.id }
        }
        var handedOn = false
        for reserved in idle {
            guard let job = jobs.first(where: { $0.lease?.owner == reserved.name }) else {
                reserved.release()
                continue
            }
            if reserved.hand(job, backlog: true) { handedOn = true } else { await giveBack(job) }
        }
        return (jobs.first { $0.lease?.owner == worker }, handedOn)
    }

    /// Hands a job claimed for a worker that will not compute it back to the queue, with its
    /// part slot.
    private func giveBack(_ job: Job) async {
        await store.handBack(job, ttl: configuration.resultsTTL)
        if job.parent != nil { partSlots.give() }
    }

    /// Completions a worker has sent before it waits for one of them to land: enough for a store a few
    /// milliseconds away to complete tiny jobs as fast as they are computed; few enough that a
    /// store that stops answering stops the worker soon.
    static let completionsInFlight = 16

    /// Puts a claimed job's parts into the queue instead of computing it; on a store error the
    /// job goes back to the queue (or its lease lapses) and is split again, finding the parts
    /// already stored.
    private func splitJob(_ job: Job, into parts: [JobPartPlan]) async {
        let logger = jobLogger(job)
        do {
            if try await store.split(job, into: parts, ttl: configuration.resultsTTL) != nil {
                logger.info(
                    "split",
                    metadata: ["parts": "\(parts.count)", "pieces": "\(parts.count { $0.piece != nil })"])
            } else {
                logger.info("not split: the job was cancelled or taken over")
            }
        } catch {
            logger.log(
                level: JobStoreError.logLevel(of: error), "could not split the job",
                metadata: ["error": "\(error)"])
            await store.handBack(job, ttl: configuration.resultsTTL)
        }
    }

    /// How a computed job ends: the completion to send, and how long it ran (on this
    /// process's monotonic clock: no other clock enters a duration).
    private struct Ending: Sendable {
        var completion: Completion
        var ran: Duration
        var trace: JobAttemptTrace
    }

    /// What stopped a job's computation first.
    private enum Outcome {
        case computed(Result<JobOutcome, any Error>)
        /// The job is no longer ours: cancelled by DELETE, or taken over after a lapsed lease.
        case lost
        /// This worker stops before the job is done (the drain deadline passed, or the pool's
        /// task was cancelled): another worker takes it from the queue.
        case handBack
    }

    /// Computes a claimed job while the pool's `LeaseKeeper` renews its lease; how it ends, or
    /// nil when the job is no longer ours.
    private func run(_ claimed: Job, drain: Drain, trace: JobAttemptTrace) async -> Ending? {
        let logger = jobLogger(claimed)
        logger.debug(
            "started", metadata: ["a": "\(claimed.a)", "b": "\(claimed.b)", "attempt": "\(claimed.attempts)"])
        inProgress.increment(by: 1)
        activity.started()
        let began = ContinuousClock.now
        queueWait.recordNonNegative(seconds: Double(claimed.queuedTimeMs(now: store.clock.now())) / 1000)
        let held = leases.hold(claimed)
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    return .computed(
                        .success(
                            try await trace.during("compute", attributes: describe(claimed)) {
                                try await compute(claimed) { value in held?.progress.withLock { $0 = value } }
                            }))
                } catch is CancellationError {
                    // Only this task's cancellation stops a computation early: the pool is
                    // going away (when the lease ended first, this outcome is not read).
                    return .handBack
                } catch {
                    return .computed(.failure(error))
                }
            }
            group.addTask {
                switch await held?.stopped() {
                case .lost: .lost
                // Cancelled: the computation ended first, and this is not read.
                case .deadline, nil: .handBack
                }
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        if let held { leases.release(held) }
        let jobOutcome: JobOutcome
        switch outcome {
        case .computed(.success(let outcome)): jobOutcome = outcome
        case .computed(.failure(let error)):
            jobOutcome = .failed(JobFailure(code: "computation_failed", message: "\(error)"))
        case .handBack: jobOutcome = .handedBack
        case .lost:
            inProgress.decrement(by: 1)
            activity.ended()
            logger.info("stopped: the job was cancelled or taken over")
            trace.end("lost")
            return nil
        }
        return Ending(
            completion: Completion(claimed, jobOutcome), ran: ContinuousClock.now - began, trace: trace)
    }

    /// Completes a computed job, then counts and logs it (and the parent it settled).
    private func record(_ ending: Ending) async {
        defer {
            inProgress.decrement(by: 1)
            activity.ended()
        }
        let claimed = ending.completion.claimed
        let result: CompletionResult
        do {
            result = try await ending.trace.during("complete") {
                try await store.complete([ending.completion], ttl: configuration.resultsTTL).first
                    ?? CompletionResult(job: nil)
            }
        } catch {
            ending.trace.end("not completed")
            // The lease lapses and another worker computes the job again.
            jobLogger(claimed).log(
                level: JobStoreError.logLevel(of: error), "could not complete the job",
                metadata: ["error": "\(error)"])
            return
        }
        processing.recordNonNegative(seconds: ending.ran.timeInterval)
        guard let job = result.job else {
            ending.trace.end("lost")
            jobLogger(claimed).info("lost: the job was cancelled or taken over before it completed")
            return
        }
        ending.trace.end(job.status.rawValue)
        // A part counts as a part; its job counts once, when settled.
        count(job, as: job.parent == nil ? "primesum_jobs_finished_total" : "primesum_parts_finished_total")
        jobLogger(job).info(
            "\(job.status.rawValue)",
            metadata: ["seconds": "\(String(format: "%.3f", ending.ran.timeInterval))"])
        if let parent = result.settledParent {
            count(parent, as: "primesum_jobs_finished_total")
            jobLogger(parent).info("\(parent.status.rawValue)", metadata: ["parts": "\(parent.partCount)"])
        }
    }

    /// Counts an ended job in `label`; a finished job (not a part) also in the replica's activity.
    private func count(_ job: Job, as label: String) {
        guard job.status.isTerminal else { return }
        Counter(label: label, dimensions: [("status", job.status.rawValue)], factory: metrics).increment()
        if job.parent == nil, job.status == .finished, let finishedAt = job.finishedAt {
            activity.finished(
                latency: .milliseconds(finishedAt.milliseconds(since: job.createdAt)), at: finishedAt)
        }
    }

    /// The pool's logger with the job's id (and a part's parent's) as metadata.
    private func jobLogger(_ job: Job) -> Logger {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.id)"
        if let parent = job.parent { logger[metadataKey: "parent"] = "\(parent)" }
        if let piece = job.piece { logger[metadataKey: "piece"] = "\(piece)" }
        return logger
    }
}

/// Graceful shutdown of the pool: draining stops new claims at once; `drainTimeout` later the
/// deadline passes, and running jobs are handed back at their next heartbeat.
private final class Drain: Sendable {
    private let draining = Atomic<Bool>(false)
    private let passed = Atomic<Bool>(false)

    var isDraining: Bool { draining.load(ordering: .relaxed) }
    var deadlinePassed: Bool { passed.load(ordering: .relaxed) }

    func begin(timeout: Duration) {
        draining.store(true, ordering: .relaxed)
        Task {
            try? await Task.sleep(for: timeout)
            passed.store(true, ordering: .relaxed)
        }
    }
}

/// The pool's part slots: a worker computes a part only while it holds one (see `WorkerPool`).
/// A claim holds none during its round trip: it asks for as many parts as are `available`, and
/// takes slots for the parts it got when it lands.
private final class PartSlots: Sendable {
    private let free: Mutex<Int>

    init(_ count: Int) {
        free = Mutex(count)
    }

    /// Slots free now.
    var available: Int { free.withLock { $0 } }

    /// Takes up to `count` slots; how many it took (fewer when concurrent claims together got
    /// more parts than were free).
    func take(upTo count: Int) -> Int {
        free.withLock { free in
            let taken = min(count, free)
            free -= taken
            return taken
        }
    }

    /// Returns a slot.
    func give() {
        free.withLock { $0 += 1 }
    }
}
