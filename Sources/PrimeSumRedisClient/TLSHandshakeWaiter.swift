import NIOCore
import NIOSSL
import NIOTLS

/// Sits after NIOSSL's handler on a new connection and completes `done` when the TLS
/// handshake has: succeeded, failed (with NIOSSL's error, which says why), or not ended within
/// `timeout` (a server that does not answer TLS at all). NIOSSL offers no such future itself.
final class TLSHandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// A handshake that ended without NIOSSL saying why.
    enum Unfinished: Error {
        /// No handshake within the time: the server does not speak TLS on that port.
        case timedOut(TimeAmount)
        /// The server closed the connection.
        case closed
    }

    let done: EventLoopPromise<Void>
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(done: EventLoopPromise<Void>, timeout: TimeAmount) {
        self.done = done
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let done = done
        let timeout = timeout
        timer = context.eventLoop.scheduleTask(in: timeout) { done.fail(Unfinished.timedOut(timeout)) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            timer?.cancel()
            done.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        timer?.cancel()
        done.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        done.fail(Unfinished.closed)
        context.fireChannelInactive()
    }
}
