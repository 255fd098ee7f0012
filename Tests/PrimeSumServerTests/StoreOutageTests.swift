import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PrimeSumJobs
import PrimeSumJobsTestSupport
import Testing

@testable import PrimeSumServer

@Suite struct LongPollReadTests {
    /// POSTs `range` (a JSON body) and returns the new job's id.
    func submit(_ range: String, with client: some TestClientProtocol) async throws -> String {
        try await client.execute(
            uri: "/sumPrime", method: .post, headers: APITests.json, body: ByteBuffer(string: range)
        ) { try APITests.object($0.body)["_id"] as? String ?? "" }
    }

    /// A long-poll that follows this replica's own submit starts from the job as submitted,
    /// and is woken by this replica's worker with the ended job: nobody reads the job.
    @Test func aLongPollAfterItsOwnSubmitReadsNothing() async throws {
        let store = InstrumentedJobStore()
        let app = try APITests.app(store: store)
        try await app.test(.router) { client in
            // About a second of sieving: the long-poll is waiting when the job ends.
            let id = try await submit(#"{"a":"1000000000000","b":"1002000000000"}"#, with: client)
            let readsBefore = store.count(of: .read)
            try await client.execute(uri: "/sumPrime/\(id)?wait=60", method: .get) { response in
                let status = try APITests.object(response.body)["status"] as? String
                #expect(status == "FINISHED")
            }
            #expect(store.count(of: .read) - readsBefore == 0)
        }
    }

    /// A tiny job ends before its long-poll arrives: the change that ended it carried it, and
    /// the long-poll answers with that, reading nothing.
    @Test func aLongPollOnAJobThisReplicaEndedReadsNothing() async throws {
        let store = InstrumentedJobStore()
        let app = try APITests.app(store: store)
        try await app.test(.router) { client in
            let id = try await submit(#"{"a":"1","b":"1000"}"#, with: client)
            let ended = store.changes.subscribe(.job(try #require(UUID(uuidString: id))))
            if try await store.base.job(id: try #require(UUID(uuidString: id)))?.status.isTerminal != true {
                await ended.wait(timeout: .seconds(30))
            }
            let readsBefore = store.count(of: .read)
            try await client.execute(uri: "/sumPrime/\(id)?wait=10", method: .get) { response in
                let sum = try APITests.object(response.body)["sum"] as? String
                #expect(sum == "76127")
            }
            #expect(store.count(of: .read) - readsBefore == 0)
        }
    }

    /// A job that changed after its submit (here cancelled in the store behind the API's back)
    /// is read at once: the long-poll does not wait on the state it submitted.
    @Test func aLongPollOnAJobThatChangedSinceItsSubmitReadsIt() async throws {
        let store = InstrumentedJobStore()
        let app = try APITests.app(store: store) { $0.role = .api }
        try await app.test(.router) { client in
            let id = try await submit(#"{"a":"1","b":"1000"}"#, with: client)
            _ = try await store.cancel(id: try #require(UUID(uuidString: id)), ttl: .seconds(60))
            let started = ContinuousClock.now
            try await client.execute(uri: "/sumPrime/\(id)?wait=10", method: .get) { response in
                let status = try APITests.object(response.body)["status"] as? String
                #expect(status == "CANCELLED")
            }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }
}

@Suite struct StoreOutageTests {
    /// A store that stops answering during a long-poll (a partition drops its packets) costs
    /// the client a 503 once its wait and `StoreDeadline.afterWait` are over: the request is
    /// not held until the store's own timeout, or the load balancer's.
    @Test func aLongPollWhoseStoreStopsAnsweringIsAnswered503AfterItsWait() async throws {
        let store = InstrumentedJobStore()
        let app = try APITests.app(store: store) { $0.role = .api }
        try await app.test(.router) { client in
            let id = try await LongPollReadTests().submit(#"{"a":"1","b":"1000"}"#, with: client)
            store.hold(.read, untilConcurrent: 1000, atMost: .seconds(30))
            let started = ContinuousClock.now
            try await client.execute(uri: "/sumPrime/\(id)?wait=1", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
            // The store holds the read for 30 s: without a deadline the request waits it out.
            // (A loaded machine may run the deadline's timer seconds late.)
            let took = ContinuousClock.now - started
            #expect(took >= .seconds(1))
            #expect(took < .seconds(20))
        }
    }

    /// A submit, a read and the readiness check on a store that stops answering each get their
    /// 503 once `StoreDeadline.call` has passed, not when the store's own timeout would.
    @Test(arguments: ["POST /sumPrime", "GET /sumPrime/ID", "GET /readyz"])
    func aRequestWhoseStoreStopsAnsweringIsAnswered503InTime(_ route: String) async throws {
        let store = InstrumentedJobStore()
        let app = try APITests.app(store: store) { $0.role = .api }
        try await app.test(.router) { client in
            let id = try await LongPollReadTests().submit(#"{"a":"1","b":"1000"}"#, with: client)
            store.hold(.submit, untilConcurrent: 1000, atMost: .seconds(30))
            store.hold(.read, untilConcurrent: 1000, atMost: .seconds(30))
            store.hold(.ping, untilConcurrent: 1000, atMost: .seconds(30))
            store.hold(.count, untilConcurrent: 1000, atMost: .seconds(30))
            // Past the admission's cached queue depth: the submit counts the queue again.
            try await Task.sleep(for: .milliseconds(600))
            let method = route.hasPrefix("POST") ? HTTPRequest.Method.post : .get
            let path = String(route.split(separator: " ")[1])
            let (started, submits) = (ContinuousClock.now, store.count(of: .submit))
            try await client.execute(
                uri: path.replacingOccurrences(of: "ID", with: id), method: method,
                headers: APITests.json, body: ByteBuffer(string: #"{"a":"5","b":"1000"}"#)
            ) { response in
                #expect(response.status == .serviceUnavailable)
            }
            // Every call is held for 30 s: without a deadline the request waits it out. (A
            // loaded machine may run the deadline's timer seconds late.)
            let took = ContinuousClock.now - started
            #expect(took >= StoreDeadline.call - .milliseconds(100))
            #expect(took < .seconds(20))
            // A submit whose queue count failed asks the store nothing more.
            #expect(store.count(of: .submit) == submits)
        }
    }

    /// 0: the store fails at the request's own read; 1: at the long-poll's read after a wait.
    @Test(arguments: [0, 1])
    func aLongPollDuringAStoreOutageLeavesNoSubscription(healthyReads: Int) async throws {
        let store = InstrumentedJobStore()
        store.before(.read) { call in
            if call > healthyReads { throw JobStoreError.unavailable("injected outage") }
        }
        let now = Date()
        let job = try await store.submit(
            Job(a: 1, b: 10, createdAt: now, expiresAt: now.addingTimeInterval(600))
        ).job
        let app = try APITests.app(store: store) { $0.role = .api }
        try await app.test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/sumPrime/\(job.id)?wait=1", method: .get) { response in
                    #expect(response.status == .serviceUnavailable)
                }
            }
        }
        #expect(store.changes.subscriberCount == 0)
    }
}
