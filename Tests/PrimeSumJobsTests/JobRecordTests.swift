import Foundation
import PrimeSumJobs
import Testing

@Suite struct JobRecordTests {
    /// A job with every field set, each at an edge of its type.
    static func edgeJob() -> Job {
        var job = Job(
            a: UInt64.max - 1, b: UInt64.max, createdAt: Date(epochMilliseconds: 1_800_000_000_123),
            expiresAt: Date(epochMilliseconds: 1_800_000_600_000), idempotencyKey: "key", owner: "team",
            parent: UUID(uuidString: "01A3185C-0000-7000-8000-000000000001"),
            piece: JobPiece(index: 11, count: 12))
        job.pieceResult = [0, 1, 254, 255] + Array(repeating: 0x5A, count: 1_000)
        job.partCount = 10_000
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
        job.worker = "worker-1"
        job.traceContext =
            "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\ntracestate: vendor=opaque,other=1"
        return job
    }

    @Test func everyFieldRoundTripsAtTheEdgesOfItsType() throws {
        let job = Self.edgeJob()
        let record = JobRecord(job)
        #expect(record.a == "18446744073709551614" && record.sum == "\(UInt128.max)")
        #expect(record.createdAt == 1_800_000_000_123 && record.errorCode == "attempts_exhausted")
        #expect(try record.job() == job)
    }

    /// A row as JSON by column name (PostgreSQL's `row_to_json`, in a notification) reads back
    /// as the record: every column is decoded from its own name.
    @Test func aRowAsJSONByColumnNameDecodesToTheRecord() throws {
        let record = JobRecord(Self.edgeJob())
        var row: [String: Any] = [:]
        for (column, value) in zip(JobRecord.columns, record.values) {
            switch value {
            case .uuid(let uuid): row[column] = uuid.uuidString
            case .text(let text): row[column] = text ?? NSNull()
            case .integer(let integer): row[column] = integer.map { NSNumber(value: $0) } ?? NSNull()
            case .real(let real): row[column] = real
            }
        }
        let json = try JSONSerialization.data(withJSONObject: row)
        #expect(try JSONDecoder().decode(JobRecord.self, from: json) == record)
    }

    @Test func eachValueIsBoundToItsColumn() {
        let job = Self.edgeJob()
        let values = JobRecord(job).values
        #expect(values.count == JobRecord.columns.count)
        let byColumn = Dictionary(uniqueKeysWithValues: zip(JobRecord.columns, values))
        let expected: [String: JobRecord.Value] = [
            "id": .uuid(job.id), "status": .text("FAILED"), "a": .text("18446744073709551614"),
            "b": .text("18446744073709551615"), "sum": .text("\(UInt128.max)"), "progress": .real(0.25),
            "created_at": .integer(1_800_000_000_123), "started_at": .integer(1_800_000_000_200),
            "finished_at": .integer(1_800_000_000_300), "expires_at": .integer(1_800_000_600_000),
            "attempts": .integer(3), "error_code": .text("attempts_exhausted"),
            "error_message": .text("gave up"),
            "version": .integer(7), "lease_owner": .text("worker-1"),
            "lease_expires_at": .integer(1_800_000_015_000),
            "idempotency_key": .text("key"), "owner": .text("team"),
            "parent_id": .text("01A3185C-0000-7000-8000-000000000001"), "part_count": .integer(10_000),
            "worker": .text("worker-1"),
            "trace_context": .text(
                "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\ntracestate: vendor=opaque,other=1"
            ),
            "piece": .text("11/12"),
            "piece_result": .text(
                Data([0, 1, 254, 255] + Array(repeating: 0x5A, count: 1_000)).base64EncodedString()),
        ]
        #expect(byColumn == expected)
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

    @Test(arguments: ["12/12", "-1/3", "1/0", "1", "a/b", "1/2/3"])
    func aPieceNoPrimesumWroteIsCorrupt(_ piece: String) {
        var record = JobRecord(Job(a: 0, b: 10, createdAt: Date(), expiresAt: Date()))
        record.piece = piece
        #expect(throws: JobStoreError.self) { try record.job() }
    }

    @Test func aPieceResultThatIsNotBase64IsCorrupt() {
        var record = JobRecord(Job(a: 0, b: 10, createdAt: Date(), expiresAt: Date()))
        record.pieceResult = "not base64!"
        #expect(throws: JobStoreError.self) { try record.job() }
    }

    @Test func aSumThatIsNotANumberIsCorrupt() {
        var record = JobRecord(Job(a: 1, b: 10, createdAt: Date(), expiresAt: Date()))
        record.sum = "17x"
        #expect(throws: JobStoreError.self) { try record.job() }
    }
}
