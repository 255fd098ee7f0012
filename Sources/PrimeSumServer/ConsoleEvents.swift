import Foundation
import Hummingbird
import PrimeSumJobs
import Synchronization

/// The console's live feed (`GET /v1/events`, Server-Sent Events): `stats` and `replicas`, as
/// `GET /v1/stats` and `GET /v1/replicas` answer them, every second; `job`, a watched job's
/// document whenever its status or progress changed (at once when it ends, woken by the
/// store's change feed); `gone`, a watched job that
/// does not exist (or is not the caller's). It ends when the replica drains or the client
/// leaves; the console then opens it again. Each stream reads the store every second, so a
/// replica serves at most `maxStreams` at once.
final class ConsoleEvents: Sendable {
    private let store: any JobStore
    private let documents: SplitJobView
    private let stats: ServiceStats
    private let drain: DrainState
    private let open = Atomic(0)

    static let tick = Duration.seconds(1)
    static let maxStreams = 100

    init(store: any JobStore, documents: SplitJobView, stats: ServiceStats, drain: DrainState) {
        self.store = store
        self.documents = documents
        self.stats = stats
        self.drain = drain
    }

    /// Streams open now.
    var openStreams: Int { open.load(ordering: .relaxed) }

    /// The stream for jobs `ids`, which must belong to `owner`; throws 503 past `maxStreams`.
    func stream(watching ids: [UUID], owner: String?) throws -> ResponseBody {
        guard open.add(1, ordering: .relaxed).newValue <= Self.maxStreams else {
            open.subtract(1, ordering: .relaxed)
            throw APIError(
                .serviceUnavailable, code: "too_many_streams",
                message: "this replica serves \(Self.maxStreams) event streams at most; retry later",
                retryAfter: 5)
        }
        let slot = Slot(of: self)
        return ResponseBody { [self] writer in
            // The slot is given back when this body is released, written or not.
            _ = slot
            var watched = Dictionary(ids.map { ($0, Seen?.none) }, uniquingKeysWith: { first, _ in first })
            while !drain.isDraining && !Task.isCancelled {
                let changes = watched.keys.map { store.changes.subscribe(.job($0)) }
                if let (snapshot, replicas) = try? await stats.current() {
                    try await writer.write(Self.event("stats", snapshot))
                    try await writer.write(Self.event("replicas", ReplicaList(replicas)))
                }
                for (id, seen) in watched {
                    let read: Job?
                    // A store that fails now is asked again next second.
                    do { read = try await store.job(id: id) } catch { continue }
                    guard let stored = read, stored.parent == nil, stored.owner == owner else {
                        try await writer.write(Self.event("gone", ["id": id.uuidString.lowercased()]))
                        watched[id] = nil
                        continue
                    }
                    // A split job's progress lives in its parts: the document has it.
                    guard let document = try? await documents.document(of: stored) else { continue }
                    let now = Seen(version: stored.version, progress: document.progress ?? 0)
                    if now != seen { try await writer.write(Self.event("job", document)) }
                    watched[id] = stored.status.isTerminal ? nil : now
                }
                await Self.firstOf(changes, orAfter: Self.tick)
            }
            try await writer.finish(nil)
        }
    }

    /// One stream's place among the open ones, given back when released.
    private final class Slot: Sendable {
        private let events: ConsoleEvents

        init(of events: ConsoleEvents) { self.events = events }

        deinit { events.open.subtract(1, ordering: .relaxed) }
    }

    /// What was last sent of a job.
    private struct Seen: Equatable {
        var version: Int
        var progress: Double
    }

    /// Returns when one of `changes` fires or `timeout` passes, and withdraws them all.
    private static func firstOf(_ changes: [JobChangeFeed.Subscription], orAfter timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            for change in changes { group.addTask { await change.wait(timeout: timeout) } }
            await group.next()
            group.cancelAll()
        }
        for change in changes { change.cancel() }
    }

    /// One event: its name and one line of JSON.
    private static func event(_ name: String, _ value: some Encodable) -> ByteBuffer {
        var buffer = ByteBuffer(string: "event: \(name)\ndata: ")
        buffer.writeBytes((try? JSONEncoder.api.encode(value)) ?? Data("{}".utf8))
        buffer.writeString("\n\n")
        return buffer
    }
}
