// Written here rather than using AsyncHTTPClient (which `primesum submit` and `status` use):
// a load tool must cost far less than the server it measures, and AsyncHTTPClient's request
// objects, connection-pool state machine and two thread hops per request cost the tool about
// 1 ms of CPU per job, more than the server spends. This client runs every connection, every
// request and every job's flow on one event loop, with NIO's own HTTP/1.1 encoder and decoder,
// so a job costs no thread hop at all.
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One answer: the status, the `Retry-After` seconds when given, and the body.
struct LoopHTTPResponse {
    var status: Int
    var retryAfter: Int?
    var body: ByteBuffer
}

/// Why a request got no answer.
enum LoopHTTPError: Error {
    case connectionClosed
    case timedOut
}

/// Keep-alive HTTP/1.1 connections to one server. Confined to `eventLoop`: every method is
/// called on it, and every completion runs on it.
final class LoopHTTPClient: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let host: String
    private let port: Int
    private let authorization: String?
    /// TLS for an `https://` target, each connection's handshake checking the server's
    /// certificate and name.
    private let tls: NIOSSLContext?
    private var idle: [Channel] = []

    init(eventLoop: any EventLoop, host: String, port: Int, apiKey: String?, tls: NIOSSLContext? = nil) {
        self.eventLoop = eventLoop
        self.host = host
        self.port = port
        self.authorization = apiKey.map { "Bearer \($0)" }
        self.tls = tls
    }

    /// Sends one request on an idle connection, or a new one; `completion` runs once.
    func send(
        _ method: HTTPMethod, _ path: String, body: ByteBuffer? = nil, headers extra: [(String, String)] = [],
        timeout: TimeAmount, completion: @escaping @Sendable (Result<LoopHTTPResponse, any Error>) -> Void
    ) {
        var headers = HTTPHeaders([("Host", "\(host):\(port)")])
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        }
        for (name, value) in extra { headers.add(name: name, value: value) }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        withConnection { result in
            switch result {
            case .failure(let error):
                completion(.failure(error))
            case .success(let channel):
                self.exchange(on: channel, head: head, body: body, timeout: timeout, completion: completion)
            }
        }
    }

    /// Closes every idle connection.
    func close() {
        for channel in idle { channel.close(promise: nil) }
        idle.removeAll()
    }

    private func withConnection(_ body: @escaping @Sendable (Result<Channel, any Error>) -> Void) {
        while let channel = idle.popLast() {
            if channel.isActive { return body(.success(channel)) }
        }
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { [host, tls] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // SNI takes a name; an address is checked against the certificate's addresses.
                        let name = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: name))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(host: host, port: port)
            .whenComplete(body)
    }

    private func exchange(
        on channel: Channel, head: HTTPRequestHead, body: ByteBuffer?, timeout: TimeAmount,
        completion: @escaping @Sendable (Result<LoopHTTPResponse, any Error>) -> Void
    ) {
        let collector: ResponseCollector
        do {
            collector = try channel.pipeline.syncOperations.handler(type: ResponseCollector.self)
        } catch {
            channel.close(promise: nil)
            return completion(.failure(error))
        }
        let timer = eventLoop.scheduleTask(in: timeout) {
            collector.fail(LoopHTTPError.timedOut)
            channel.close(promise: nil)
        }
        collector.expect { result in
            timer.cancel()
            if case .success(let response) = result, response.keepAlive, channel.isActive {
                self.idle.append(channel)
            } else {
                channel.close(promise: nil)
            }
            completion(result.map(\.response))
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }
}

/// Gathers one response at a time on its connection and hands it to the waiting request;
/// confined to its channel's event loop.
private final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    struct Collected {
        var response: LoopHTTPResponse
        var keepAlive: Bool
    }

    private var waiting: (@Sendable (Result<Collected, any Error>) -> Void)?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?

    func expect(_ completion: @escaping @Sendable (Result<Collected, any Error>) -> Void) {
        waiting = completion
        head = nil
        body = nil
    }

    func fail(_ error: any Error) {
        guard let waiting else { return }
        self.waiting = nil
        waiting(.failure(error))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(var part):
            if body == nil { body = part } else { body!.writeBuffer(&part) }
        case .end:
            guard let head, let waiting else { return }
            self.waiting = nil
            let response = LoopHTTPResponse(
                status: Int(head.status.code),
                retryAfter: head.headers.first(name: "Retry-After").flatMap { Int($0) },
                body: body ?? ByteBuffer())
            waiting(.success(Collected(response: response, keepAlive: head.isKeepAlive)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(LoopHTTPError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }
}
