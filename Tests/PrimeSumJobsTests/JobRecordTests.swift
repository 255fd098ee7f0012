import Foundation
import PrimeSumJobs
import Testing

@Suite struct JobRecordTests {
    @Test func everyFieldRoundTripsAtTheEdgesOfItsType() throws {
        var job = Job(
            a: UInt64.max - 1, b: UInt64.max, createdAt: Date(epochMilliseconds: 1_800_000_000_123),
            expiresAt: Date(epochMilliseconds: 1_800_000_600_000), idempotencyKey: "key", owner: "team")
        job.status = .failed
        job.sum = UInt128.max
        job.progress = 0.25
        job.startedAt = Date(epochMilliseconds: 1_800_000_000_200)
        job.finishedAt = Date(epochMilliseconds: 1_800_000_000_300)
        job.attempts = 3
        job.failure = JobFailure(code: "attempts_exhausted", message: "gave up")
        job.version = 7
        job.leaseOwner = "worker-1"
        job.leaseExpiresAt = Date(epochMilliseconds: 1_800_000_015_000)
        let record = JobRecord(job)
        #expect(record.a == "18446744073709551614" && record.sum == "\(UInt128.max)")
        #expect(record.createdAt == 1_800_000_000_123 && record.errorCode == "attempts_exhausted")
        #expect(try record.job() == job)
    }

    @Test(arguments: ["status", "a", "b"])
    func aRecordNoPrimesumWroteIsCorrupt(_ field: String) {
        var record = JobRecord(Job(a: 1, b: 10, createdAt: Date(), expiresAt: Date()))
        switch field {
        case "status": record.status = "DONE"
        case "a": record.a = "-1"
        default: record.b = "18446744073709551616"
        }
        #expect(throws: JobStoreError.self) { try record.job() }
    }

    @Test func aSumThatIsNotANumberIsCorrupt() {
        var record = JobRecord(Job(a: 1, b: 10, createdAt: Date(), expiresAt: Date()))
        record.sum = "17x"
        #expect(throws: JobStoreError.self) { try record.job() }
    }
}
