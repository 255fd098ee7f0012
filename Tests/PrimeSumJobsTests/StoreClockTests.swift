import Foundation
import PrimeSumJobs
import Synchronization
import Testing

/// `StoreClock`'s estimate of the store server's clock from bracketed samples.
@Suite struct StoreClockTests {
    static func instant(_ seconds: TimeInterval) -> Date { Date(timeIntervalSince1970: seconds) }

    @Test func withoutASampleItReadsTheLocalClock() {
        let clock = StoreClock(local: { Self.instant(1_000) })
        #expect(clock.now() == Self.instant(1_000))
        #expect(clock.offset == 0 && clock.uncertainty == .infinity)
    }

    @Test func samplesNarrowTheOffsetToWhatTheyAllAllow() {
        let clock = StoreClock(local: { Self.instant(1_000) })
        // Whole seconds: 1030 read between local 1000.2 and 1000.4 puts the offset in
        // [29.6, 30.8]; 1031 between 1000.9 and 1001.0 in [30.0, 31.1].
        clock.record(
            sent: Self.instant(1_000.2), serverTime: Self.instant(1_030), resolution: 1,
            received: Self.instant(1_000.4))
        #expect(abs(clock.offset - 30.2) < 1e-6 && abs(clock.uncertainty - 0.6) < 1e-6)
        clock.record(
            sent: Self.instant(1_000.9), serverTime: Self.instant(1_031), resolution: 1,
            received: Self.instant(1_001))
        #expect(abs(clock.offset - 30.4) < 1e-3 && abs(clock.uncertainty - 0.4) < 1e-3)
        #expect(abs(clock.now().timeIntervalSince1970 - 1_030.4) < 1e-3)
    }

    @Test func aClockThatSteppedStartsTheEstimateAfresh() {
        let clock = StoreClock(local: { Self.instant(2_000) })
        clock.record(
            sent: Self.instant(1_000), serverTime: Self.instant(1_030), received: Self.instant(1_000.01))
        clock.record(
            sent: Self.instant(2_000), serverTime: Self.instant(1_900), received: Self.instant(2_000.01))
        #expect(abs(clock.offset + 100.005) < 1e-6)
    }

    /// A replica whose wall clock steps (NTP, or by hand) between two samples still reads the
    /// store's time: the samples and the readings between them go by the monotonic clock.
    @Test func aStepOfTheLocalClockDoesNotMoveTheStoresTime() async throws {
        let step = Mutex<TimeInterval>(0)
        let clock = StoreClock(local: { Date().addingTimeInterval(step.withLock { $0 }) })
        try await clock.sample(resolution: 0) { Date() }
        for seconds in [21.0, -26] {
            step.withLock { $0 = seconds }
            #expect(abs(clock.now().timeIntervalSinceNow) < 0.1)
        }
    }

    @Test func aSampleReceivedBeforeItWasSentIsIgnored() {
        let clock = StoreClock(local: { Self.instant(1_000) })
        clock.record(
            sent: Self.instant(1_001), serverTime: Self.instant(5_000), received: Self.instant(1_000))
        #expect(clock.offset == 0 && clock.uncertainty == .infinity)
    }
}

/// Which clock a store's timestamps and leases come from, on every backend, and what a replica
/// whose own clock is off can and cannot do to the jobs of others (README "Clocks and leases").
@Suite struct StoreClockContractTests {
    /// A shared store reads its server's clock, whatever this replica's says.
    @Test(.enabled(if: !Backend.shared.isEmpty, Backend.noSharedStore), arguments: Backend.shared)
    func aReplicaWhoseClockIsAnHourOffReadsTheServersClock(_ backend: Backend) async throws {
        let store = try await backend.ready(
            place: "test_\(UUID().uuidString.prefix(8).lowercased())",
            clock: StoreClock(local: { Date().addingTimeInterval(3_600) }))
        // CouchDB's clock comes in whole seconds, from a header it renews once a second; on a
        // loaded machine the first samples' round trips can be long: later ones narrow them.
        for _ in 0..<40 where store.clock.uncertainty > 2 { try await Task.sleep(for: .milliseconds(500)) }
        #expect(store.clock.uncertainty <= 2)
        #expect(abs(store.clock.now().timeIntervalSinceNow) <= store.clock.uncertainty + 0.05)
    }

    /// A replica whose clock runs a minute ahead (four leases) finds no lapsed lease on a job
    /// that a healthy replica claimed a moment ago, so it cannot take it.
    @Test(.enabled(if: !Backend.shared.isEmpty, Backend.noSharedStore), arguments: Backend.shared)
    func aReplicaWhoseClockRunsAheadTakesNoHealthyWorkersJob(_ backend: Backend) async throws {
        let place = "test_\(UUID().uuidString.prefix(8).lowercased())"
        let healthy = try await backend.ready(place: place, clock: StoreClock())
        let ahead = try await backend.ready(
            place: place, clock: StoreClock(local: { Date().addingTimeInterval(60) }))
        let now = healthy.clock.now()
        let job = try await healthy.submit(
            Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(600))
        ).job
        let claimed = try #require(try await healthy.claimNext(worker: "healthy", lease: .seconds(15)))
        #expect(claimed.id == job.id)
        #expect(try await ahead.requeueLapsed(now: ahead.clock.now(), maxAttempts: 3).isEmpty)
        let stored = try #require(try await healthy.job(id: job.id))
        #expect(
            stored.status == .inProgress && stored.leaseOwner == "healthy"
                && stored.version == claimed.version)
    }

    /// A job created by a replica whose clock runs an hour ahead of the claiming one's (or of
    /// the store's) still starts no earlier than it was created and ends no earlier than it
    /// started: its queue wait and processing time are zero, not negative.
    @Test(arguments: Backend.all)
    func aJobCreatedAheadOfTheClaimingClockStartsAndEndsInOrder(_ backend: Backend) async throws {
        let store = try await backend.ready()
        let ahead = store.clock.now().addingTimeInterval(3_600)
        let created = try await store.submit(
            Job(a: 1, b: 10, createdAt: ahead, expiresAt: ahead.addingTimeInterval(600))
        ).job
        // As stored: some stores keep instants to the millisecond.
        let job = try #require(try await store.job(id: created.id))
        var claimed = try #require(try await store.claimNext(worker: "w", lease: .seconds(15)))
        #expect(claimed.id == job.id)
        let startedAt = try #require(claimed.startedAt)
        #expect(startedAt >= job.createdAt)
        #expect(claimed.queuedTimeMs(now: store.clock.now()) == 0)
        claimed.finish(sum: 17, now: store.clock.now(), ttl: .seconds(60))
        let finished = try #require(try await store.update(claimed))
        #expect(try #require(finished.finishedAt) >= startedAt)
        #expect(finished.processingTimeMs(now: store.clock.now()) == 0)
        #expect(finished.expiresAt >= startedAt.addingTimeInterval(60))
    }
}
