import NIOCore

/// Splits a streamed body into newline-terminated lines (the `_changes` feed sends one JSON
/// object per line and blank heartbeat lines).
struct LineBuffer {
    private var pending = ByteBuffer()

    mutating func append(_ chunk: ByteBuffer) {
        var chunk = chunk
        pending.writeBuffer(&chunk)
    }

    /// The next complete, non-blank line without its newline, or nil until more arrives.
    mutating func next() -> [UInt8]? {
        while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - pending.readerIndex
            let line = pending.readBytes(length: length) ?? []
            pending.moveReaderIndex(forwardBy: 1)
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { return line }
        }
        pending.discardReadBytes()
        return nil
    }
}
