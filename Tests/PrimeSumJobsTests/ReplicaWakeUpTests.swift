import Foundation
import PrimeSumJobs
import Testing

@Suite struct ReplicaWakeUpTests {
    /// Two replicas on one namespace: a job queued through one wakes the other's idle workers,
    /// and a job finished through one wakes a `?wait=` long-poll on the other, with the
    /// finished job itself where the store's notification carries it (no read needed).
    @Test(
        .enabled(
            if: !Backend.shared.isEmpty, Backend.noSharedStore),
        arguments: Backend.shared)
    func aChangeOnOneReplicaWakesWaitersOnAnother(_ backend: Backend) async throws {
        let place = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let first = try await backend.ready(place: place, clock: StoreClock())
        let second = try await backend.ready(place: place, clock: StoreClock())
        try await Task.sleep(for: .milliseconds(300))  // both replicas follow the changes

        let now = Date()
        let queued = second.changes.subscribe(.queue)
        let job = try await first.submit(
            Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(60))
        ).job
        var started = ContinuousClock.now
        await queued.wait(timeout: .seconds(20))
        #expect(
            ContinuousClock.now - started < .seconds(5), "the other replica's idle workers were not woken")

        var claimed = try #require(
            try await first.claimNext(worker: "w", lease: .seconds(60)))
        try await Task.sleep(for: .milliseconds(500))  // let the IN_PROGRESS change pass
        let finished = second.changes.subscribe(.job(job.id))
        let mark = second.changes.mark
        claimed.finish(sum: 17, now: Date(), ttl: .seconds(60))
        _ = try await first.update(claimed)
        started = ContinuousClock.now
        let carried = await finished.wait(timeout: .seconds(20))
        #expect(
            ContinuousClock.now - started < .seconds(5), "a long-poll on the other replica was not woken")
        if backend.carriesEndedJobs {
            #expect(carried?.id == job.id && carried?.status == .finished && carried?.sum == 17)
            let known = second.changes.change(of: job.id, since: mark)
            #expect(known == carried.map { .carried($0) })
        }
        #expect(try await second.job(id: job.id)?.status == .finished)
    }
}
