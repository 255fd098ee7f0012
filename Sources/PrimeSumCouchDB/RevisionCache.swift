import Foundation
import Synchronization

/// The `_rev` this replica last saw for each job at each version, so a compare-and-swap is one
/// PUT instead of a GET and a PUT.
///
/// Every write bumps both the job's `version` and CouchDB's `_rev`, so a (job, version) pair names
/// exactly one revision: a PUT with that revision conflicts precisely when the stored version has
/// moved on. An entry is only a hint; without one the store reads the revision first.
final class RevisionCache: Sendable {
    private struct Entry {
        var version: Int
        var revision: String
    }
    private let entries = Mutex<[UUID: Entry]>([:])
    private let capacity: Int

    init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    /// Entries held (at most the capacity).
    var count: Int { entries.withLock { $0.count } }

    func revision(of id: UUID, atVersion version: Int) -> String? {
        entries.withLock { entries in
            entries[id].flatMap { $0.version == version ? $0.revision : nil }
        }
    }

    func remember(_ id: UUID, version: Int, revision: String) {
        entries.withLock { entries in
            // Running jobs are few; a full cache holds mostly finished ones, safe to forget.
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[id] = Entry(version: version, revision: revision)
        }
    }

    func forget(_ id: UUID) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }
}
