import NIOCore
import Synchronization

/// A command on its way to the server with the promise its reply completes.
struct RESPRequest: Sendable {
    var command: RESPCommand
    var reply: EventLoopPromise<RESPValue>
}

/// Pipelining: writes each command as it comes and keeps its promise in a queue; Redis answers
/// a connection's commands in order, so each reply completes the oldest promise. When the
/// connection ends, every promise still waiting fails.
///
/// A command unanswered after `commandTimeout` fails with `RedisClientError.timedOut` and closes
/// the connection (a late reply would be taken for the next command's). One check on the event
/// loop every `timeoutCheckInterval` looks at the oldest command, rather than a timer per
/// command scheduled and cancelled from other threads (each of which wakes the loop).
final class RESPCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RESPRequest
    typealias OutboundOut = ByteBuffer

    private let commandTimeout: TimeAmount
    private let timeoutCheckInterval: TimeAmount
    private var waiting = CircularBuffer<(reply: EventLoopPromise<RESPValue>, deadline: NIODeadline)>(
        initialCapacity: 16)
    /// Why the connection ended, once it has: shared with `RedisConnection`, whose writes to
    /// a closed channel never reach this handler.
    let ending: ConnectionEnding
    private var timeoutCheck: RepeatedTask?
    /// What an error of the connection means (a TLS alert says why, `RedisURL.failure`).
    private let failure: @Sendable (any Error) -> RedisClientError

    init(
        commandTimeout: TimeAmount, ending: ConnectionEnding,
        failure: @escaping @Sendable (any Error) -> RedisClientError
    ) {
        self.commandTimeout = commandTimeout
        self.ending = ending
        self.failure = failure
        timeoutCheckInterval = min(commandTimeout, .milliseconds(250))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timeoutCheck = context.eventLoop.scheduleRepeatedTask(
            initialDelay: timeoutCheckInterval, delay: timeoutCheckInterval
        ) { _ in
            let (handler, context) = loopBound.value
            handler.failIfOverdue(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeoutCheck?.cancel()
        failAll(.connectionFailed("the connection closed"))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let reason = ending.reason {
            request.reply.fail(reason)
            promise?.fail(reason)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        request.command.encode(into: &buffer)
        waiting.append((request.reply, .now() + commandTimeout))
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let (reply, _) = waiting.popFirst() else {
            // A reply nobody asked for: the stream is out of step, so nothing after it can be trusted.
            failAll(.connectionFailed("an unexpected reply arrived"))
            context.close(promise: nil)
            return
        }
        reply.succeed(value)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(.connectionFailed("the connection closed"))
        context.fireChannelInactive()
    }

    private func failIfOverdue(context: ChannelHandlerContext) {
        guard let oldest = waiting.first, oldest.deadline < .now() else { return }
        failAll(.timedOut("no reply within \(commandTimeout)"))
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisClientError) {
        ending.record(error)
        while let (reply, _) = waiting.popFirst() { reply.fail(error) }
    }
}

/// Why a connection ended: its first failure (a TLS alert, a timeout, a lost connection).
final class ConnectionEnding: Sendable {
    private let first = Mutex<RedisClientError?>(nil)

    var reason: RedisClientError? { first.withLock { $0 } }

    func record(_ error: RedisClientError) {
        first.withLock { first in if first == nil { first = error } }
    }
}

/// Passes every reply of a pub/sub connection to a stream: after SUBSCRIBE the server pushes
/// messages nobody asked for, so there is no request to match them with.
final class RESPPushHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue

    private let continuation: AsyncThrowingStream<RESPValue, any Error>.Continuation
    private let failure: @Sendable (any Error) -> RedisClientError

    init(
        continuation: AsyncThrowingStream<RESPValue, any Error>.Continuation,
        failure: @escaping @Sendable (any Error) -> RedisClientError
    ) {
        self.continuation = continuation
        self.failure = failure
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish(throwing: RedisClientError.connectionFailed("the connection closed"))
        context.fireChannelInactive()
    }
}
