import NIOCore

/// Reads RESP2 replies off a byte stream, however the bytes are split into reads: a reply is
/// passed on only once all of it, nested arrays included, has arrived.
public struct RESPDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = RESPValue

    /// The largest bulk string or array accepted; a longer one means a broken stream (Redis
    /// caps bulk strings at 512 MB, and no reply of ours comes near this).
    public static let maximumLength = 64 << 20
    /// Arrays nested deeper than this are refused rather than recursed into.
    public static let maximumDepth = 32

    public init() {}

    public mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        var reader = buffer
        guard let value = try Self.value(from: &reader, depth: 0) else { return nil }
        buffer = reader
        return value
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try decode(buffer: &buffer)
    }

    /// The next complete value, consuming it from `buffer`; nil (and `buffer` partly consumed,
    /// which the caller discards) when the value is not complete yet.
    static func value(from buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard let type = buffer.readInteger(as: UInt8.self), let line = try readLine(&buffer) else {
            return nil
        }
        switch type {
        case UInt8(ascii: "+"): return .simpleString(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"):
            guard let value = Int64(line) else {
                throw RedisClientError.protocolViolation("integer '\(line.prefix(30))'")
            }
            return .integer(value)
        case UInt8(ascii: "$"):
            let length = try Self.length(line)
            guard length >= 0 else { return .bulkString(nil) }
            guard buffer.readableBytes >= length + 2, let bytes = buffer.readBytes(length: length) else {
                return nil
            }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
                throw RedisClientError.protocolViolation("a bulk string does not end with CRLF")
            }
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            let count = try Self.length(line)
            guard count >= 0 else { return .array(nil) }
            guard depth < maximumDepth else {
                throw RedisClientError.protocolViolation("arrays nested too deep")
            }
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(count, 1024))
            for _ in 0..<count {
                guard let element = try value(from: &buffer, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw RedisClientError.protocolViolation("unknown reply type byte \(type)")
        }
    }

    /// The line up to CRLF, consumed with it; nil while the CRLF has not arrived.
    private static func readLine(_ buffer: inout ByteBuffer) throws -> String? {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\r")),
            end + 1 < buffer.writerIndex
        else { return nil }
        guard buffer.getInteger(at: end + 1, as: UInt8.self) == UInt8(ascii: "\n") else {
            throw RedisClientError.protocolViolation("a line ends with CR alone")
        }
        let line = buffer.readString(length: end - buffer.readerIndex)
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    private static func length(_ line: String) throws -> Int {
        guard let length = Int(line), length >= -1, length <= maximumLength else {
            throw RedisClientError.protocolViolation("length '\(line.prefix(30))'")
        }
        return length
    }
}
