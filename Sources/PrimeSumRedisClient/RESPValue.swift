/// One RESP2 reply from a Redis server.
public enum RESPValue: Sendable, Equatable {
    /// `+OK`
    case simpleString(String)
    /// `-ERR …`: the server refused the command.
    case error(String)
    /// `:42`
    case integer(Int64)
    /// `$3\r\nfoo`; nil for the null bulk string (`$-1`), a missing key.
    case bulkString([UInt8]?)
    /// `*2\r\n…`; nil for the null array (`*-1`).
    case array([RESPValue]?)

    /// The reply as text: a simple or bulk string, or an integer's digits; nil otherwise.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(decoding: bytes, as: UTF8.self)
        case .integer(let value): String(value)
        default: nil
        }
    }

    /// The reply as an integer: an integer reply, or a string of digits.
    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return string.flatMap { Int64($0) }
    }

    /// The elements of an array reply; nil for anything else, the null array included.
    public var array: [RESPValue]? {
        if case .array(let elements?) = self { return elements }
        return nil
    }

    /// True for the null bulk string and the null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): true
        default: false
        }
    }
}
