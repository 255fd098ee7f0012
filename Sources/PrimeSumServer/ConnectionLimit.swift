import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Caps the HTTP connections the server holds open at once. A connection past the cap is
/// answered, at its first request, 503 `too_many_connections` with `Retry-After` and closed: a
/// clean refusal a client can act on, where a refused accept would look like a network fault.
final class ConnectionLimit: Sendable {
    let maximum: Int
    private let open = Atomic(0)

    init(maximum: Int) { self.maximum = maximum }

    /// A handler for one new connection's pipeline (it counts the connection while it is open).
    func handler() -> any RemovableChannelHandler { Gate(limit: self) }

    private final class Gate: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart

        private let limit: ConnectionLimit
        private var counted = false
        private var refusing = false

        init(limit: ConnectionLimit) { self.limit = limit }

        func handlerAdded(context: ChannelHandlerContext) {
            counted = true
            refusing = limit.open.add(1, ordering: .relaxed).newValue > limit.maximum
        }

        func handlerRemoved(context: ChannelHandlerContext) { release() }

        func channelInactive(context: ChannelHandlerContext) {
            release()
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard refusing else { return context.fireChannelRead(data) }
            guard case .head = unwrapInboundIn(data) else { return }
            refusing = false
            let body = ByteBuffer(
                string:
                    #"{"error":{"code":"too_many_connections","message":"the server holds too many connections; retry later"}}"#
            )
            let head = HTTPResponse(
                status: .serviceUnavailable,
                headerFields: [
                    .contentType: "application/json", .contentLength: "\(body.readableBytes)",
                    .retryAfter: "1",
                    .connection: "close",
                ])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil)
            }
        }

        private func release() {
            guard counted else { return }
            counted = false
            limit.open.subtract(1, ordering: .relaxed)
        }
    }
}
