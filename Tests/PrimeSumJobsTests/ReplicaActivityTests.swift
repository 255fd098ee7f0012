import Foundation
import Logging
import PrimeSumJobs
import Testing

@Suite struct ReplicaActivityTests {
    @Test func percentilesFallInTheBucketOfTheTrueValue() throws {
        var histogram = LatencyHistogram()
        for milliseconds in 1...1_000 { histogram.record(milliseconds: Double(milliseconds)) }
        for (fraction, exact) in [(0.5, 500.0), (0.9, 900.0), (0.99, 990.0)] {
            let estimate = try #require(histogram.percentile(fraction))
            #expect(estimate >= exact && estimate <= exact * 1.19, "p\(fraction): \(estimate) for \(exact)")
        }
        #expect(LatencyHistogram().percentile(0.5) == nil)
    }

    @Test func mergedHistogramsCountEveryLatency() throws {
        var fast = LatencyHistogram()
        var slow = LatencyHistogram()
        for _ in 0..<99 { fast.record(milliseconds: 0.05) }
        slow.record(milliseconds: 60_000)
        fast.merge(slow)
        #expect(fast.total == 100)
        #expect(try #require(fast.percentile(0.5)) <= 0.12)
        #expect(try #require(fast.percentile(1)) >= 60_000)
    }

    @Test func windowsRollOverAndOldOnesAreDropped() {
        let activity = ReplicaActivity()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let length = Double(ReplicaActivity.windowSeconds)
        activity.finished(latency: .milliseconds(3), at: start)
        activity.finished(latency: .milliseconds(5), at: start.addingTimeInterval(1))
        activity.finished(latency: .milliseconds(7), at: start.addingTimeInterval(length))
        let early = activity.snapshot(now: start.addingTimeInterval(length)).windows
        #expect(early.map(\.finished) == [2, 1])
        #expect(early.map(\.start) == [1_800_000_000, 1_800_000_000 + ReplicaActivity.windowSeconds])
        let late = start.addingTimeInterval(length * Double(ReplicaActivity.windowCount))
        #expect(activity.snapshot(now: late).windows.map(\.finished) == [1])
    }

    @Test func runningCountsJobsBetweenStartAndEnd() {
        let activity = ReplicaActivity()
        activity.started()
        activity.started()
        activity.ended()
        #expect(activity.snapshot().running == 1)
    }

    @Test func aHeartbeatListsTheReplicaWithItsActivityAndAShutdownWithdrawsIt() async throws {
        let store = MemoryJobStore()
        let activity = ReplicaActivity()
        activity.started()
        activity.finished(latency: .milliseconds(4))
        let replica = ReplicaHeartbeat(
            name: "replica-a", role: "all", workers: 2, version: "1.2.3", startedAt: Date(), seenAt: Date())
        let service = HeartbeatService(
            store: store, clock: store.clock, replica: replica, activity: activity, interval: .seconds(2),
            logger: Logger(label: "test"))
        await service.beat(listedFor: .seconds(6))
        let listed = try await store.replicas(now: Date())
        #expect(listed.map(\.name) == ["replica-a"])
        #expect(listed.first?.running == 1 && listed.first?.activity.first?.finished == 1)
        await service.beat(listedFor: .zero)
        #expect(try await store.replicas(now: Date()).isEmpty)
    }
}
