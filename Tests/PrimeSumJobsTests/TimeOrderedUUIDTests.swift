import Foundation
import PrimeSumJobs
import Testing

@Suite struct TimeOrderedUUIDTests {
    @Test func idsMadeLaterSortLaterAsTextAndAsBytes() {
        let ids = (0..<1_000).map { UUID.timeOrdered(at: Date(epochMilliseconds: 1_800_000_000_000 + $0)) }
        let strings = ids.map(\.uuidString)
        let outOfOrder = zip(strings, strings.dropFirst()).filter { $0 >= $1 }
        #expect(outOfOrder.isEmpty, "\(outOfOrder.prefix(3))")
        #expect(Set(strings).count == ids.count)
    }

    @Test func theIdCarriesItsMillisecondVersionAndVariant() {
        let instant = Date(timeIntervalSince1970: 1_800_000_000.123)
        let id = UUID.timeOrdered(at: instant)
        let text = id.uuidString.replacingOccurrences(of: "-", with: "")
        #expect(UInt64(text.prefix(12), radix: 16) == 1_800_000_000_123)
        #expect(Array(text)[12] == "7")
        #expect("89AB".contains(Array(text)[16]))
    }

    @Test func aNewJobGetsATimeOrderedId() {
        let earlier = Job(
            a: 1, b: 2, createdAt: Date(timeIntervalSince1970: 1_800_000_000), expiresAt: Date())
        let later = Job(a: 1, b: 2, createdAt: Date(timeIntervalSince1970: 1_800_000_001), expiresAt: Date())
        #expect(earlier.id.uuidString < later.id.uuidString)
    }
}
