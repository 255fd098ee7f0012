import NIOCore

/// A command on its way to the server with the promise its reply completes.
struct RESPRequest: Sendable {
    var command: RESPCommand
    var reply: EventLoopPromise<RESPValue>
}

/// Pipelining: writes each command as it comes and keeps its promise in a queue; Redis answers
/// a connection's commands in order, so each reply completes the oldest promise. When the
/// connection ends, every promise still waiting fails.
final class RESPCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RESPRequest
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>(initialCapacity: 16)
    private var closedReason: String?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let closedReason {
            request.reply.fail(RedisClientError.connectionFailed(closedReason))
            promise?.fail(RedisClientError.connectionFailed(closedReason))
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        request.command.encode(into: &buffer)
        waiting.append(request.reply)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let reply = waiting.popFirst() else {
            // A reply nobody asked for: the stream is out of step, so nothing after it can be trusted.
            failAll("an unexpected reply arrived")
            context.close(promise: nil)
            return
        }
        reply.succeed(value)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll("\(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll("the connection closed")
        context.fireChannelInactive()
    }

    private func failAll(_ reason: String) {
        closedReason = closedReason ?? reason
        while let reply = waiting.popFirst() { reply.fail(RedisClientError.connectionFailed(reason)) }
    }
}

/// Passes every reply of a pub/sub connection to a stream: after SUBSCRIBE the server pushes
/// messages nobody asked for, so there is no request to match them with.
final class RESPPushHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue

    private let continuation: AsyncThrowingStream<RESPValue, any Error>.Continuation

    init(continuation: AsyncThrowingStream<RESPValue, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: RedisClientError.connectionFailed("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish(throwing: RedisClientError.connectionFailed("the connection closed"))
        context.fireChannelInactive()
    }
}
