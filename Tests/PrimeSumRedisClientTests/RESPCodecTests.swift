import NIOCore
import Testing

@testable import PrimeSumRedisClient

@Suite struct RESPCodecTests {
    /// Decodes `text` fed in pieces of `chunk` bytes, as a socket might deliver it.
    static func decode(_ text: String, chunk: Int = .max) throws -> [RESPValue] {
        var decoder = RESPDecoder()
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: min(chunk, bytes.count)) {
            buffer.writeBytes(bytes[start..<min(start + chunk, bytes.count)])
            while let value = try decoder.decode(buffer: &buffer) { values.append(value) }
        }
        #expect(buffer.readableBytes == 0, "bytes left over")
        return values
    }

    @Test func everyReplyType() throws {
        let values = try Self.decode(
            "+OK\r\n-ERR wrong\r\n:-42\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*0\r\n*-1\r\n*2\r\n:1\r\n$1\r\nx\r\n"
        )
        #expect(
            values == [
                .simpleString("OK"), .error("ERR wrong"), .integer(-42), .bulkString(Array("hello".utf8)),
                .bulkString([]), .bulkString(nil), .array([]), .array(nil),
                .array([.integer(1), .bulkString([UInt8(ascii: "x")])]),
            ])
        #expect(
            values[3].string == "hello" && values[2].integer == -42 && values[5].isNull && values[7].isNull)
    }

    @Test func bulkStringsMayHoldCRLFAndBinary() throws {
        #expect(try Self.decode("$4\r\na\r\nb\r\n") == [.bulkString(Array("a\r\nb".utf8))])
        #expect(try Self.decode("$2\r\n\u{0}\u{7F}\r\n") == [.bulkString([0, 0x7F])])
    }

    @Test func nestedArrays() throws {
        let text = "*3\r\n*2\r\n+a\r\n*1\r\n:7\r\n$-1\r\n*1\r\n*0\r\n"
        let expected: RESPValue = .array([
            .array([.simpleString("a"), .array([.integer(7)])]), .bulkString(nil), .array([.array([])]),
        ])
        #expect(try Self.decode(text) == [expected])
    }

    /// A reply split anywhere, even one byte at a time, decodes to the same value, and nothing
    /// is passed on before it is complete.
    @Test(arguments: [1, 2, 3, 5, 7, 11])
    func partialFramesWaitForTheRest(_ chunk: Int) throws {
        let text = "*2\r\n$11\r\nhello world\r\n*2\r\n:123456789\r\n-NOSCRIPT no script\r\n+PONG\r\n"
        #expect(try Self.decode(text, chunk: chunk) == Self.decode(text))
        #expect(try Self.decode(text, chunk: chunk).count == 2)
        var decoder = RESPDecoder()
        var buffer = ByteBuffer(string: "$11\r\nhello wor")
        #expect(try decoder.decode(buffer: &buffer) == nil)
        #expect(buffer.readerIndex == 0, "a partial reply must be left unread")
    }

    @Test(arguments: ["?what\r\n", ":12x\r\n", "$-2\r\n", "$3\r\nabcXY", "*99999999999\r\n", "+OK\rX\n"])
    func malformedRepliesAreRefused(_ text: String) {
        #expect(throws: RedisClientError.self) { try Self.decode(text) }
    }

    @Test func deepNestingIsRefused() {
        let text = String(repeating: "*1\r\n", count: RESPDecoder.maximumDepth + 1) + ":1\r\n"
        #expect(throws: RedisClientError.self) { try Self.decode(text) }
    }

    @Test func commandsAreArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        RESPCommand("SET", "clé", "").encode(into: &buffer)
        #expect(
            buffer.readString(length: buffer.readableBytes) == "*3\r\n$3\r\nSET\r\n$4\r\nclé\r\n$0\r\n\r\n")
    }

    @Test func errorRepliesThrowOnRequest() {
        #expect(throws: RedisClientError.server("ERR no")) { try RESPValue.error("ERR no").orThrow() }
        #expect(throws: Never.self) { try RESPValue.simpleString("OK").orThrow() }
    }
}
