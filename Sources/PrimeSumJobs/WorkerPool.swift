import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Computes a job's sum; reports progress (0...1) through the callback and throws
/// `CancellationError` when its task is cancelled. The server hands the pool the engine through
/// this.
public typealias JobComputation =
    @Sendable (Job, _ progress: @Sendable @escaping (Double) -> Void) async throws -> UInt128

/// The ranges a job is split into (see `JobParts.split`), or fewer than two to compute it
/// whole. The server hands the pool the engine's split through this.
public typealias JobSplitter = @Sendable (Job) -> [Range<UInt64>]

/// `workers` workers that claim QUEUED jobs from the store with a lease, renew the lease and
/// write progress while computing, and finish with a compare-and-swap. A job whose stored state
/// stops being ours (cancelled by DELETE, or requeued after a lapsed lease) has its computation
/// cancelled. On graceful shutdown no new job is claimed; running jobs get `drainTimeout` to
/// finish, then go back to QUEUED for another replica. A job that `split` cuts into parts is not
/// computed by the worker that claimed it: its parts go into the queue, and the worker that
/// writes the last of them settles it (`JobParts`).
public struct WorkerPool: Service {
    public struct Configuration: Sendable {
        public var workers: Int
        public var leaseDuration: Duration
        public var heartbeatInterval: Duration
        /// How long an idle worker waits for a wake-up before it asks the store anyway: the
        /// fallback for a lost notification, so it can be slow.
        public var idlePollInterval: Duration
        public var resultsTTL: Duration
        public var drainTimeout: Duration

        public init(
            workers: Int, leaseDuration: Duration = .seconds(15),
            heartbeatInterval: Duration = .milliseconds(250),
            idlePollInterval: Duration = .seconds(5), resultsTTL: Duration = .seconds(600),
            drainTimeout: Duration = .seconds(20)
        ) {
            self.workers = workers
            self.leaseDuration = leaseDuration
            self.heartbeatInterval = heartbeatInterval
            self.idlePollInterval = idlePollInterval
            self.resultsTTL = resultsTTL
            self.drainTimeout = drainTimeout
        }
    }

    private let store: any JobStore
    private let configuration: Configuration
    private let compute: JobComputation
    private let split: JobSplitter
    private let parts: JobParts
    private let logger: Logger
    private let name: String
    private let activity: ReplicaActivity
    private let metrics: any MetricsFactory
    private let inProgress: Meter
    private let queueWait: Timer
    private let processing: Timer

    /// `activity` counts the jobs this pool runs and finishes, for the replica's heartbeat;
    /// `metrics` records the pool's figures (the bootstrapped system unless a test gives one).
    public init(
        store: any JobStore, configuration: Configuration, logger: Logger,
        name: String = "worker-\(UUID().uuidString.prefix(8))", activity: ReplicaActivity = ReplicaActivity(),
        metrics: any MetricsFactory = MetricsSystem.factory,
        split: @escaping JobSplitter = { _ in [] }, compute: @escaping JobComputation
    ) {
        self.metrics = metrics
        inProgress = Meter(label: "primesum_jobs_in_progress", factory: metrics)
        queueWait = Timer(label: "primesum_job_queue_wait_seconds", factory: metrics)
        processing = Timer(label: "primesum_job_processing_seconds", factory: metrics)
        self.store = store
        self.configuration = configuration
        self.compute = compute
        self.split = split
        self.parts = JobParts(store: store, resultsTTL: configuration.resultsTTL)
        self.logger = logger
        self.name = name
        self.activity = activity
    }

    public func run() async throws {
        let drain = Drain()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for index in 0..<configuration.workers {
                    group.addTask { await work(as: "\(name)-\(index)", drain: drain) }
                }
            }
        } onGracefulShutdown: {
            drain.begin(timeout: configuration.drainTimeout)
            store.changes.publish(.queue)
        }
    }

    /// Claims and computes jobs one after another. A job's final write overlaps the claim of
    /// the next (at most one write in flight per worker): with a networked store, a worker on
    /// tiny jobs otherwise waits two round trips per job.
    private func work(as worker: String, drain: Drain) async {
        await withTaskGroup(of: Void.self) { writes in
            while !drain.isDraining && !Task.isCancelled {
                let waitForWork = store.changes.subscribe(.queue)
                do {
                    if let job = try await store.claimNext(worker: worker, lease: configuration.leaseDuration)
                    {
                        // A wake-up that reached this worker while it was claiming was meant
                        // for another queued job: pass it on to the next idle worker.
                        if waitForWork.cancel() { store.changes.signal(.queue) }
                        if job.parent == nil, job.partCount == 0, case let ranges = split(job),
                            ranges.count > 1
                        {
                            await splitJob(job, into: ranges)
                            continue
                        }
                        let ending = await run(job, drain: drain)
                        // The previous job's write, if still running (returns at once if none).
                        await writes.next()
                        if let ending { writes.addTask { await record(ending, worker: worker) } }
                        continue
                    }
                } catch {
                    logger.log(
                        level: JobStoreError.logLevel(of: error), "could not claim a job",
                        metadata: ["worker": "\(worker)", "error": "\(error)"])
                }
                await waitForWork.wait(timeout: configuration.idlePollInterval)
            }
        }
    }

    /// Puts a claimed job's parts into the queue instead of computing it; on a store error the
    /// job goes back to the queue (or its lease lapses) and is split again, finding the parts
    /// already stored.
    private func splitJob(_ job: Job, into ranges: [Range<UInt64>]) async {
        let logger = jobLogger(job)
        do {
            if try await parts.split(job, into: ranges, now: store.clock.now()) != nil {
                logger.info("split", metadata: ["parts": "\(ranges.count)"])
            } else {
                logger.info("not split: the job was cancelled or taken over")
            }
        } catch {
            logger.log(
                level: JobStoreError.logLevel(of: error), "could not split the job",
                metadata: ["error": "\(error)"])
            var back = job
            back.handBack()
            _ = try? await store.update(back)
        }
    }

    private enum Outcome {
        case computed(Result<UInt128, any Error>)
        /// The job is no longer ours: cancelled by DELETE, or taken over after a lapsed lease.
        case lost
        /// This worker stops before the job is done (the drain deadline passed, or the pool's
        /// task was cancelled): another worker takes it from the queue.
        case handBack
    }

    /// How a computed job ends: the state to write, and how long it ran (on this process's
    /// monotonic clock: no other clock enters a duration).
    private struct Ending: Sendable {
        var job: Job
        var ran: Duration
    }

    /// Computes a claimed job while keeping its lease; the state to write, or nil when the job
    /// is no longer ours.
    private func run(_ claimed: Job, drain: Drain) async -> Ending? {
        let logger = jobLogger(claimed)
        logger.debug(
            "started", metadata: ["a": "\(claimed.a)", "b": "\(claimed.b)", "attempt": "\(claimed.attempts)"])
        inProgress.increment(by: 1)
        activity.started()
        let began = ContinuousClock.now
        queueWait.recordNonNegative(seconds: Double(claimed.queuedTimeMs(now: store.clock.now())) / 1000)
        let state = RunState(job: claimed)
        let outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    return .computed(
                        .success(
                            try await compute(claimed) { value in state.progress.withLock { $0 = value } }))
                } catch is CancellationError {
                    // Only this task's cancellation stops a computation early: the pool is
                    // going away (when the lease task ended first, this outcome is not read).
                    return .handBack
                } catch {
                    return .computed(.failure(error))
                }
            }
            group.addTask { await keepLease(state, drain: drain) }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
        var job = state.job.withLock { $0 }
        let now = store.clock.now()
        switch outcome {
        case .computed(.success(let sum)):
            job.finish(sum: sum, now: now, ttl: configuration.resultsTTL)
        case .computed(.failure(let error)):
            job.fail(
                JobFailure(code: "computation_failed", message: "\(error)"), now: now,
                ttl: configuration.resultsTTL)
        case .handBack:
            job.handBack()
        case .lost:
            inProgress.decrement(by: 1)
            activity.ended()
            logger.info("stopped: the job was cancelled or taken over")
            return nil
        }
        return Ending(job: job, ran: ContinuousClock.now - began)
    }

    /// Writes a computed job's final state, then counts and logs it.
    private func record(_ ending: Ending, worker: String) async {
        defer {
            inProgress.decrement(by: 1)
            activity.ended()
        }
        let job = ending.job
        let written = await write(job, worker: worker)
        if written, let parent = job.parent {
            await settle(parentID: parent)
        } else if written && job.status == .finished, let finishedAt = job.finishedAt {
            activity.finished(
                latency: .milliseconds(finishedAt.milliseconds(since: job.createdAt)), at: finishedAt)
        }
        processing.recordNonNegative(seconds: ending.ran.timeInterval)
        // A part counts as a part; its job counts once, when settled.
        Counter(
            label: job.parent == nil ? "primesum_jobs_finished_total" : "primesum_parts_finished_total",
            dimensions: [("status", job.status.rawValue)], factory: metrics
        )
        .increment()
        jobLogger(job).info(
            "\(written ? job.status.rawValue : "lost")",
            metadata: ["seconds": "\(String(format: "%.3f", ending.ran.timeInterval))"])
    }

    /// Settles the parent of a part this worker wrote, when that part was its last.
    private func settle(parentID: UUID) async {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(parentID)"
        do {
            guard let parent = try await parts.settle(parentID: parentID, now: store.clock.now()) else {
                return
            }
            Counter(
                label: "primesum_jobs_finished_total", dimensions: [("status", parent.status.rawValue)],
                factory: metrics
            )
            .increment()
            if parent.status == .finished, let finishedAt = parent.finishedAt {
                activity.finished(
                    latency: .milliseconds(finishedAt.milliseconds(since: parent.createdAt)), at: finishedAt)
            }
            logger.info("\(parent.status.rawValue)", metadata: ["parts": "\(parent.partCount)"])
        } catch {
            // The next read of the parent settles it (`JobParts`).
            logger.log(
                level: JobStoreError.logLevel(of: error), "could not settle the job",
                metadata: ["error": "\(error)"])
        }
    }

    /// The pool's logger with the job's id (and a part's parent's) as metadata.
    private func jobLogger(_ job: Job) -> Logger {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.id)"
        if let parent = job.parent { logger[metadataKey: "parent"] = "\(parent)" }
        return logger
    }

    /// Renews the lease and writes progress every heartbeat, keeping `state.job` the stored job.
    /// Returns `.lost` when the job is no longer ours (cancelled, or taken over after a lapse),
    /// `.handBack` once the drain deadline passed or when the task is cancelled (then either the
    /// computation ended, and this outcome is not read, or the pool is going away). One task
    /// per job does both: a job of microseconds never wakes it.
    private func keepLease(_ state: RunState, drain: Drain) async -> Outcome {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.heartbeatInterval)
            if Task.isCancelled || drain.deadlinePassed { return .handBack }
            var next = state.job.withLock { $0 }
            next.progress = state.progress.withLock { $0 }
            next.leaseExpiresAt = store.clock.now().addingTimeInterval(
                configuration.leaseDuration.timeInterval)
            do {
                guard let stored = try await store.update(next) else { return .lost }
                state.job.withLock { $0 = stored }
            } catch {
                logger.warning("heartbeat failed", metadata: ["job": "\(next.id)", "error": "\(error)"])
            }
        }
        return .handBack
    }

    /// Writes the final state; on a conflict, re-reads and writes again only while the job is
    /// still leased to `worker` (a DELETE that landed first wins).
    private func write(_ final: Job, worker: String) async -> Bool {
        var candidate = final
        for _ in 0..<5 {
            do {
                if try await store.update(candidate) != nil { return true }
                guard let current = try await store.job(id: final.id), current.status == .inProgress,
                    current.leaseOwner == worker
                else { return false }
                candidate.version = current.version
            } catch {
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        return false
    }
}

/// The job as last stored by its worker, and the computation's latest progress.
private final class RunState: Sendable {
    let job: Mutex<Job>
    let progress = Mutex(0.0)

    init(job: Job) { self.job = Mutex(job) }
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
