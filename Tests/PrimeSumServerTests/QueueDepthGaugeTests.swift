import Foundation
import PrimeSumJobs
import PrimeSumJobsTestSupport
import Testing

@testable import PrimeSumServer

@Suite struct QueueDepthGaugeTests {
    /// While one request refreshes the count from a store that stopped answering, the others
    /// admit on the count they had: a partition costs one request its wait, not every submit.
    @Test func requestsDuringASlowRefreshUseTheLastCount() async throws {
        let store = InstrumentedJobStore()
        let gauge = QueueDepthGauge(store: store, maxAge: .milliseconds(1))
        #expect(try await gauge.depth == 0)
        try await Task.sleep(for: .milliseconds(5))
        store.hold(.count, untilConcurrent: 1000, atMost: .seconds(30))
        let refresh = Task { try await gauge.depth }
        while store.count(of: .count) < 2 { try await Task.sleep(for: .milliseconds(5)) }
        let started = ContinuousClock.now
        #expect(try await gauge.depth == 0)
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(store.count(of: .count) == 2)
        refresh.cancel()
    }
}
