// Written here rather than decoding with Foundation's JSON: the tool reads three string fields
// of a flat document the server wrote, twice per job, and a full decode costs more CPU than the
// rest of the job's client side together.
import NIOCore
import PrimeSumAPI

/// The string fields a load-test flow needs from a job document (`JobDocument`, whose field
/// names it reads by) or an error envelope.
struct DocumentFields {
    var id: String?
    var status: String?
    var sum: String?
    /// `error.code` of an error envelope (or of a FAILED job).
    var code: String?

    init(_ body: ByteBuffer) {
        let bytes = Array(body.readableBytesView)
        id = Self.string(named: JobDocument.CodingKeys.id.rawValue, in: bytes)
        status = Self.string(named: JobDocument.CodingKeys.status.rawValue, in: bytes)
        sum = Self.string(named: JobDocument.CodingKeys.sum.rawValue, in: bytes)
        code = Self.string(named: "code", in: bytes)
    }

    var isTerminal: Bool { status == "FINISHED" || status == "FAILED" || status == "CANCELLED" }

    /// The value of the first `"name": "value"` pair; nil when absent or not a plain string.
    static func string(named name: String, in bytes: [UInt8]) -> String? {
        let key = Array("\"\(name)\"".utf8)
        var index = 0
        while index + key.count <= bytes.count {
            guard bytes[index] == key[0], bytes[index..<index + key.count].elementsEqual(key) else {
                index += 1
                continue
            }
            var cursor = index + key.count
            while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") else {
                index += 1
                continue
            }
            cursor += 1
            while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") { cursor += 1 }
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\"") else { return nil }
            let start = cursor + 1
            guard
                let end = bytes[start...].firstIndex(where: {
                    $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\")
                }),
                bytes[end] == UInt8(ascii: "\"")
            else { return nil }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        return nil
    }
}
