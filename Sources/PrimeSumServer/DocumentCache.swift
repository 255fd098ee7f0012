import Foundation
import NIOCore
import Synchronization

/// Encoded documents of terminal jobs. A terminal job never changes, so every replica may
/// answer repeated reads of it from memory until it expires, without a store round trip or a
/// JSON encoding: polling a finished job is the hottest read of the API.
final class DocumentCache: Sendable {
    private struct Entry {
        let body: ByteBuffer
        let owner: String?
        let expiresAt: Date
    }
    private let entries = Mutex<[UUID: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 50_000) { self.capacity = capacity }

    /// Documents held (at most the capacity).
    var count: Int { entries.withLock { $0.count } }

    /// The cached body of job `id` when it is cached, unexpired and belongs to `owner`.
    func body(for id: UUID, owner: String?, now: Date) -> ByteBuffer? {
        entries.withLock { entries in
            guard let entry = entries[id] else { return nil }
            guard entry.expiresAt > now else {
                entries[id] = nil
                return nil
            }
            return entry.owner == owner ? entry.body : nil
        }
    }

    /// Remembers a terminal job's document.
    func store(_ body: ByteBuffer, for id: UUID, owner: String?, expiresAt: Date) {
        entries.withLock { entries in
            if entries.count >= capacity {
                // Full: forget the entries that expire first, a tenth of the cache at a time.
                let victims = entries.sorted { $0.value.expiresAt < $1.value.expiresAt }.prefix(
                    capacity / 10 + 1)
                for (id, _) in victims { entries[id] = nil }
            }
            entries[id] = Entry(body: body, owner: owner, expiresAt: expiresAt)
        }
    }
}
