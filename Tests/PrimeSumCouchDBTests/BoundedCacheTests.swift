import Foundation
import PrimeSumJobs
import Testing

@testable import PrimeSumCouchDB

/// The CouchDB store's in-memory hints grow with jobs; each stays within its capacity.
@Suite struct BoundedCacheTests {
    @Test func theRevisionCacheStaysWithinItsCapacity() {
        let cache = RevisionCache(capacity: 100)
        var last = UUID()
        for index in 0..<1_000 {
            last = UUID()
            cache.remember(last, version: index, revision: "\(index)-x")
            #expect(cache.count <= 100)
        }
        #expect(cache.revision(of: last, atVersion: 999) == "999-x")
    }

    @Test func theRecentMapRemembersOnlyItsLastKeys() {
        var recent = RecentMap<String, Int>(capacity: 100)
        for index in 0..<1_000 {
            let inserted = recent.set(index, for: "\(index)")
            #expect(inserted)
            #expect(recent.count <= 100)
        }
        let again = recent.set(-1, for: "999")
        #expect(!again && recent["999"] == -1)
        #expect(recent["0"] == nil, "the oldest key was not forgotten")
        #expect(recent["900"] == 900)
    }
}
