import NIOCore

/// A command as Redis reads it from a client: an array of bulk strings.
public struct RESPCommand: Sendable, Equatable {
    public var arguments: [String]

    public init(_ arguments: [String]) {
        self.arguments = arguments
    }

    public init(_ arguments: String...) {
        self.arguments = arguments
    }

    /// Appends the command's RESP encoding (`*N\r\n` then `$len\r\narg\r\n` for each argument).
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("*")
        buffer.writeString(String(arguments.count))
        buffer.writeStaticString("\r\n")
        for argument in arguments {
            buffer.writeStaticString("$")
            buffer.writeString(String(argument.utf8.count))
            buffer.writeStaticString("\r\n")
            buffer.writeString(argument)
            buffer.writeStaticString("\r\n")
        }
    }
}
