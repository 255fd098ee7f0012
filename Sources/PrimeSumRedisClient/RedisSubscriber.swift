import NIOCore
import NIOPosix

/// A connection of its own for pub/sub: once SUBSCRIBEd, a connection can do nothing else.
public enum RedisSubscriber {
    /// Subscribes to `channel` on a new connection, calls `subscribed()` once the server has
    /// confirmed, then `received` for every message. It never returns normally: it throws when
    /// the connection ends, whether it failed or the task was cancelled.
    public static func listen(
        to url: RedisURL, channel name: String, timeout: Duration = .seconds(5),
        subscribed: () -> Void, received: (String) -> Void
    ) async throws {
        let (replies, continuation) = AsyncThrowingStream.makeStream(of: RESPValue.self)
        let channel = try await RedisConnection.open(
            url, timeout: timeout, group: MultiThreadedEventLoopGroup.singleton
        ) { channel in
            try channel.pipeline.syncOperations.addHandlers(
                ByteToMessageHandler(RESPDecoder()),
                RESPPushHandler(continuation: continuation, failure: url.failure))
        }
        defer { channel.close(promise: nil) }
        try await withTaskCancellationHandler {
            var buffer = channel.allocator.buffer(capacity: 128)
            for command in url.handshake + [RESPCommand("SUBSCRIBE", name)] { command.encode(into: &buffer) }
            try await channel.writeAndFlush(buffer)
            var handshakeReplies = url.handshake.count
            for try await reply in replies {
                if handshakeReplies > 0 {
                    handshakeReplies -= 1
                    try reply.orThrow()
                    continue
                }
                guard let parts = reply.array, parts.count == 3, let kind = parts[0].string else {
                    try reply.orThrow()
                    continue
                }
                if kind == "subscribe" {
                    subscribed()
                } else if kind == "message", let payload = parts[2].string {
                    received(payload)
                }
            }
        } onCancel: {
            channel.close(promise: nil)
        }
        throw RedisClientError.connectionFailed("the subscription ended")
    }
}
