import Foundation
import Logging
import Synchronization

/// Wakes waiters in this process when a job changes or work is queued: `?wait=` long-polls wait
/// on a job, idle workers on the queue. Stores publish after every write.
///
/// Subscribe before reading the state you wait on, then wait: a change that lands in between
/// is not missed. The queue's wake-ups are level-triggered: one that finds no idle worker (every
/// worker busy) is held, and the next worker to subscribe to the queue is woken by it at once,
/// so a worker that ends a job asks the store again only when something was queued meanwhile.
/// A `signal` stands for one queued job; a `signalBacklog` for any number (a feed that
/// reopened after changes may have been missed, a batch of requeued jobs), and the worker it
/// wakes looks for a backlog (`Subscription.mayFindBacklog`); a `publish` of the queue wakes
/// every idle worker (a pool that stops).
public final class JobChangeFeed: Sendable {
    /// What a waiter waits for.
    public enum Topic: Hashable, Sendable {
        /// The job reached a terminal status (stores may also publish other changes).
        case job(UUID)
        /// A job was queued.
        case queue
    }

    private struct State {
        var nextToken = 0
        var subscribers: [Topic: [Int: Subscription]] = [:]
        /// Wake-ups of the queue that found no idle worker, for the next ones to subscribe.
        var heldQueueWakeUps = 0
        /// A backlog's wake-up (`signalBacklog`, a `publish` of the queue) found no idle worker.
        var heldBacklog = false
        /// The jobs whose topic was published lately, with the job the change carried
        /// (`change(of:since:)`).
        var published = RecentMap<UUID, Job?>(capacity: JobChangeFeed.publishedMemory)
        /// Counts the openings of a store's feed of changes: changes may have been missed
        /// before each.
        var openings = 0
        /// Counts the jobs entered in `published`: past its capacity since a mark, a job's
        /// change may have been forgotten.
        var publications = 0

        mutating func holdQueueWakeUp() {
            heldQueueWakeUps = min(heldQueueWakeUps + 1, JobChangeFeed.heldQueueWakeUpLimit)
        }

        /// A held wake-up of the queue for a worker that looks for work now, if any: a backlog
        /// before a single job.
        mutating func takeHeldQueueWakeUp() -> Held? {
            if heldBacklog {
                heldBacklog = false
                return .backlog
            }
            guard heldQueueWakeUps > 0 else { return nil }
            heldQueueWakeUps -= 1
            return .job
        }
    }

    /// At most this many wake-ups are held: enough for a backlog to reach every worker as
    /// they free up, and an API-only replica (no workers) keeps no more.
    static let heldQueueWakeUpLimit = 10_000
    /// How many published jobs `change(of:since:)` remembers: more than end in the seconds a
    /// long-poll follows its submit, at any rate this process serves.
    static let publishedMemory = 32_768
    private let state = Mutex(State())

    public init() {}

    /// Registers interest in `topic`; the subscription fires on the next `publish(topic)`, or
    /// at once for the queue when a wake-up is held. An idle worker subscribing to the queue
    /// gives its name (the lease owner of the jobs it claims): it may then be handed a job
    /// (`reserveIdleWorker`).
    public func subscribe(_ topic: Topic, worker: String? = nil) -> Subscription {
        let (subscription, held) = state.withLock { state -> (Subscription, Held?) in
            let subscription = Subscription(topic: topic, token: state.nextToken, worker: worker, feed: self)
            state.nextToken += 1
            if topic == .queue, let held = state.takeHeldQueueWakeUp() { return (subscription, held) }
            state.subscribers[topic, default: [:]][subscription.token] = subscription
            return (subscription, nil)
        }
        if let held { subscription.fire(with: nil, backlog: held == .backlog) }
        return subscription
    }

    fileprivate enum Held { case job, backlog }

    /// Fires every subscription of `topic`, handing it `job` when the change carried it: an
    /// ended job of this topic (anything else a store's notification held is not handed on).
    public func publish(_ topic: Topic, job: Job? = nil) {
        // Only an ended job of this topic is carried (a store's notification may hold another).
        let job = job.flatMap { topic == .job($0.id) && $0.status.isTerminal ? $0 : nil }
        let fired = state.withLock { state -> [Int: Subscription] in
            let fired = state.subscribers.removeValue(forKey: topic)
            switch topic {
            case .queue: if fired == nil { state.heldBacklog = true }
            case .job(let id):
                // A notification of this process's own write, which carried the job, says no more.
                if let job {
                    if state.published.set(job, for: id) { state.publications += 1 }
                } else if state.published[id] == nil {
                    state.published.set(nil, for: id)
                    state.publications += 1
                }
            }
            return fired ?? [:]
        }
        for subscription in fired.values { subscription.fire(with: job, backlog: topic == .queue) }
    }

    /// A write of this process stored `job`: long-polls on it get the job itself once it is
    /// terminal (they need not read it again), and one idle worker hears that it is queued.
    /// Every store calls it after each write it makes. PostgreSQL and Redis tag their
    /// notifications with the writer and skip their own; CouchDB, whose own notification of a
    /// queued job comes round to this process's workers too, passes `wakeWorker: false` (a
    /// second wake-up would cost a claim that finds nothing).
    public func announce(_ job: Job, wakeWorker: Bool = true) {
        if job.status.isTerminal { publish(.job(job.id), job: job) }
        if wakeWorker && job.status == .queued { signal(.queue) }
    }

    /// Fires every subscription to a job (not the idle workers' `.queue`): the process is
    /// draining and held long-polls answer now.
    public func publishEveryJob() {
        let fired = state.withLock { state -> [Subscription] in
            let jobs = state.subscribers.filter { topic, _ in topic != .queue }
            for topic in jobs.keys { state.subscribers[topic] = nil }
            return jobs.values.flatMap(\.values)
        }
        for subscription in fired { subscription.fire(with: nil) }
    }

    /// A point in the feed's history, to ask later whether a job may have changed since.
    public struct Mark: Sendable, Equatable {
        fileprivate let openings: Int
        fileprivate let publications: Int
    }

    /// Now, in the feed's history.
    public var mark: Mark { state.withLock { Mark(openings: $0.openings, publications: $0.publications) } }

    /// What the feed knows of job `id` since `mark`.
    public enum KnownChange: Sendable, Equatable {
        /// No change of it was published.
        case none
        /// Its last published change carried the job, as stored.
        case carried(Job)
        /// It may have changed: read it.
        case unknown
    }

    /// What changed of job `id` since `mark`, as far as the feed knows: a waiter that subscribed
    /// to a job it knew the state of at `mark` (its own submit) need not read it unless the
    /// answer is `unknown` (a change without the job, more jobs' changes since than the feed
    /// remembers, or a store's feed that reopened since, after which changes may have been
    /// missed).
    public func change(of id: UUID, since mark: Mark) -> KnownChange {
        state.withLock { state in
            guard state.openings == mark.openings else { return .unknown }
            switch state.published[id] {
            case .none:
                let forgetting = state.publications - mark.publications >= state.published.capacity
                return forgetting ? .unknown : .none
            case .some(.some(let job)): return .carried(job)
            case .some(.none): return .unknown
            }
        }
    }

    /// The store's feed (re)opened: changes may have been missed while it was closed, so an
    /// idle worker looks for a backlog and every waiting long-poll reads its job again.
    func reopened() {
        state.withLock { $0.openings += 1 }
        signalBacklog()
        publishEveryJob()
    }

    /// Subscriptions not yet fired or cancelled, every topic together.
    public var subscriberCount: Int { state.withLock { $0.subscribers.values.reduce(0) { $0 + $1.count } } }

    /// Fires the oldest subscription of `topic` only: one queued job needs one idle worker, and
    /// waking them all makes every one of them ask the store. With no worker idle, the queue's
    /// wake-up is held for the next one.
    public func signal(_ topic: Topic) {
        fireOldest(topic, backlog: false)
    }

    /// Wakes the longest-waiting idle worker to look for a backlog (any number of queued jobs:
    /// a batch requeued, a feed that reopened after changes may have been missed); its claim
    /// takes jobs for the pool's other idle workers too (`WorkerPool`), so they need not all
    /// ask the store. With no worker idle, the backlog is held for the next one.
    public func signalBacklog() {
        fireOldest(.queue, backlog: true)
    }

    private func fireOldest(_ topic: Topic, backlog: Bool) {
        let fired = state.withLock { state -> Subscription? in
            guard let token = state.subscribers[topic]?.keys.min() else {
                if topic == .queue {
                    if backlog { state.heldBacklog = true } else { state.holdQueueWakeUp() }
                }
                return nil
            }
            let subscription = state.subscribers[topic]?.removeValue(forKey: token)
            if state.subscribers[topic]?.isEmpty == true { state.subscribers[topic] = nil }
            return subscription
        }
        fired?.fire(with: nil, backlog: backlog)
    }

    /// Takes the longest-waiting idle worker off the queue's wake-ups, for a job this process
    /// is about to submit already claimed by it (`Job.claim(by: worker.name, …)`), so that the
    /// job costs no claim, or for a job a worker pool claims for it; nil when no worker waits
    /// (of those named `among`, when given). The caller hands it the job once stored, or
    /// releases it.
    public func reserveIdleWorker(among names: Set<String>? = nil) -> IdleWorker? {
        state.withLock { state -> IdleWorker? in
            guard
                let (token, subscription) = state.subscribers[.queue]?.filter({ _, subscription in
                    subscription.worker.map { names?.contains($0) ?? true } ?? false
                }).min(by: { $0.key < $1.key }),
                let name = subscription.worker, subscription.reserve()
            else { return nil }
            state.subscribers[.queue]?[token] = nil
            if state.subscribers[.queue]?.isEmpty == true { state.subscribers[.queue] = nil }
            return IdleWorker(name: name, subscription: subscription, feed: self)
        }
    }

    /// An idle worker taken off the queue's wake-ups (`reserveIdleWorker`).
    public struct IdleWorker: Sendable {
        /// The worker's name: the lease owner to claim the job for.
        public let name: String
        fileprivate let subscription: Subscription
        fileprivate let feed: JobChangeFeed

        /// Wakes the worker with `job`, stored IN_PROGRESS under its lease, to compute (and,
        /// when the job came from a `backlog`, to look for more after it); false when it
        /// stopped waiting meanwhile (it is stopping): the job is then the caller's to hand back
        /// to the queue. A worker's idle poll that comes while it is reserved waits for this
        /// (or `release`): handed back, the job would be seen going from IN_PROGRESS back to
        /// QUEUED, which only a lapsed lease may do.
        public func hand(_ job: Job, backlog: Bool = false) -> Bool {
            let handed = subscription.fire(with: job, backlog: backlog)
            _ = subscription.endReservation()
            return handed
        }

        /// Returns the worker to the queue's wake-ups, or wakes it at once when one was held
        /// meanwhile.
        public func release() { feed.restore(subscription) }
    }

    /// Puts a reserved worker's subscription back, unless it fired meanwhile; a wake-up held
    /// while it was reserved goes to it now, and one whose idle poll came meanwhile wakes now.
    private func restore(_ subscription: Subscription) {
        let pollCame = subscription.endReservation()
        let wake = state.withLock { state -> Held?? in
            guard subscription.isWaiting else { return nil }
            if let held = state.takeHeldQueueWakeUp() { return .some(held) }
            if pollCame { return .some(nil) }
            state.subscribers[.queue, default: [:]][subscription.token] = subscription
            return nil
        }
        if let wake { subscription.fire(with: nil, backlog: wake == .backlog) }
    }

    fileprivate func remove(_ subscription: Subscription) {
        state.withLock { state in
            state.subscribers[subscription.topic]?[subscription.token] = nil
            if state.subscribers[subscription.topic]?.isEmpty == true {
                state.subscribers[subscription.topic] = nil
            }
        }
    }

    /// One waiter's interest in one topic.
    public final class Subscription: Sendable {
        fileprivate let topic: Topic
        fileprivate let token: Int
        fileprivate let worker: String?
        private weak let feed: JobChangeFeed?
        private enum Phase {
            case pending
            case fired(Job?)
            case waiting(CheckedContinuation<Job?, Never>)
            case done(Job?)
        }
        private let phase = Mutex(Phase.pending)
        private let backlog = Atomic(false)
        /// Whether the worker is reserved for a job (`reserveIdleWorker`), and whether its
        /// timeout came meanwhile (it fires when the reservation ends).
        private enum Reservation {
            case free, held, heldPastTimeout
        }
        private let reservation = Mutex(Reservation.free)

        /// Whether the wake-up stood for any number of queued jobs (a `publish` of the queue)
        /// rather than one: the woken worker claims until the queue is empty.
        public var mayFindBacklog: Bool { backlog.load(ordering: .relaxed) }

        fileprivate init(topic: Topic, token: Int, worker: String?, feed: JobChangeFeed) {
            self.topic = topic
            self.token = token
            self.worker = worker
            self.feed = feed
        }

        /// Not fired yet, nor cancelled.
        fileprivate var isWaiting: Bool {
            phase.withLock { phase in
                switch phase {
                case .pending, .waiting: true
                case .fired, .done: false
                }
            }
        }

        /// Withdraws interest without waiting, so a `signal` is not spent on this subscription.
        public func cancel() {
            feed?.remove(self)
            phase.withLock { $0 = .done(nil) }
        }

        /// Returns when the topic changes, `timeout` passes or the task is cancelled: the job
        /// the change carried (`announce`), or the job handed to an idle worker
        /// (`IdleWorker.hand`), or nil.
        @discardableResult
        public func wait(timeout: Duration) async -> Job? {
            defer { feed?.remove(self) }
            let timer = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                self?.expire()
            }
            defer { timer.cancel() }
            return await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let firedWith = phase.withLock { phase -> Job?? in
                        switch phase {
                        case .pending:
                            phase = .waiting(continuation)
                            return .none
                        case .fired(let job), .done(let job):
                            phase = .done(nil)
                            return .some(job)
                        case .waiting:
                            return .some(nil)
                        }
                    }
                    if let job = firedWith { continuation.resume(returning: job) }
                }
            } onCancel: {
                fire(with: nil)
            }
        }

        /// Reserves a subscription still waiting; false when it fired meanwhile.
        fileprivate func reserve() -> Bool {
            reservation.withLock { reservation in
                guard isWaiting else { return false }
                reservation = .held
                return true
            }
        }

        /// Ends a reservation: true when the timeout came during it.
        fileprivate func endReservation() -> Bool {
            reservation.withLock { reservation in
                defer { reservation = .free }
                return reservation == .heldPastTimeout
            }
        }

        /// The timeout: fires, unless the subscription is reserved, whose end fires it instead.
        private func expire() {
            let deferred = reservation.withLock { reservation in
                guard reservation == .held else { return false }
                reservation = .heldPastTimeout
                return true
            }
            if !deferred { fire(with: nil) }
        }

        /// Fires the subscription with `job`; false when it had fired or was cancelled before.
        @discardableResult
        fileprivate func fire(with job: Job?, backlog: Bool = false) -> Bool {
            if backlog { self.backlog.store(true, ordering: .relaxed) }
            let (fired, continuation) = phase.withLock { phase -> (Bool, CheckedContinuation<Job?, Never>?) in
                switch phase {
                case .pending:
                    phase = .fired(job)
                    return (true, nil)
                case .waiting(let continuation):
                    phase = .done(nil)
                    return (true, continuation)
                case .fired, .done:
                    return (false, nil)
                }
            }
            continuation?.resume(returning: job)
            return fired
        }
    }
}

extension JobChangeFeed {
    /// Follows a shared store's feed of changes (PostgreSQL's LISTEN, CouchDB's `_changes`)
    /// until the task is cancelled: `session` opens the feed, calls `opened()` once it is open,
    /// and republishes what it reads until the feed ends or fails; then it is opened again,
    /// backing off from 100 ms to 5 s while it keeps failing. Each opening wakes every idle
    /// worker and long-poll (`reopened`), since changes may have been missed while the feed
    /// was closed.
    public func follow(
        _ source: String, logger: Logger, session: (_ opened: () -> Void) async throws -> Void
    ) async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await session {
                    delay = .milliseconds(100)
                    reopened()
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("\(source) stopped", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }
}
