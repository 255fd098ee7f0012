// A Redis client written here: no Swift Redis client is available from this machine's package
// sources, and the store needs only RESP2 over one TCP connection, pipelined, plus pub/sub.
import NIOCore
import NIOPosix
import NIOSSL
import PrimeSumTLS

/// One TCP connection to Redis, authenticated and on its database, that pipelines: any number
/// of tasks may send commands at once, and each gets its own reply.
public final class RedisConnection: Sendable {
    private let channel: any Channel
    private let ending: ConnectionEnding

    private init(channel: any Channel, ending: ConnectionEnding) {
        self.channel = channel
        self.ending = ending
    }

    /// Connects, then sends AUTH and SELECT as the URL asks.
    public static func connect(
        to url: RedisURL, timeout: Duration = .seconds(5), commandTimeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RedisConnection {
        let ending = ConnectionEnding()
        let channel = try await open(url, timeout: timeout, group: group) { channel in
            try channel.pipeline.syncOperations.addHandlers(
                ByteToMessageHandler(RESPDecoder()),
                RESPCommandHandler(
                    commandTimeout: .init(commandTimeout), ending: ending, failure: url.failure)
            )
        }
        let connection = RedisConnection(channel: channel, ending: ending)
        do {
            for command in url.handshake { try await connection.send(command).orThrow() }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// A TCP connection to the URL's server with the handlers `configure` adds, its TLS
    /// handshake done first for `rediss://`.
    static func open(
        _ url: RedisURL, timeout: Duration, group: any EventLoopGroup,
        configure: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> any Channel {
        let context = try url.tlsContext()
        // The handshake's end is awaited from here: made before the channel, on its loop, so
        // that a handshake failing at once (the channel closed, its handlers gone) still says why.
        let loop = group.next()
        let handshake = loop.makePromise(of: Void.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.init(timeout))
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let context {
                            // SNI takes a name, not an address; an address is still checked
                            // against the certificate's addresses.
                            let name =
                                (try? SocketAddress(ipAddress: url.host, port: 0)) == nil ? url.host : nil
                            try channel.pipeline.syncOperations.addHandlers(
                                NIOSSLClientHandler(context: context, serverHostname: name),
                                TLSHandshakeWaiter(done: handshake, timeout: .init(timeout)))
                        }
                        try configure(channel)
                    }
                }
                .connect(host: url.host, port: url.port).get()
        } catch {
            handshake.fail(error)
            throw RedisClientError.connectionFailed("\(url.host):\(url.port): \(error)")
        }
        guard context != nil, let tls = url.tls else {
            handshake.succeed()
            return channel
        }
        do {
            try await handshake.futureResult.get()
        } catch {
            channel.close(promise: nil)
            let reason =
                switch error as? TLSHandshakeWaiter.Unfinished {
                case .timedOut(let timeout):
                    "the server does not speak TLS on this port (no handshake within \(timeout))"
                case .closed: "the server closed the connection during the TLS handshake"
                case nil: tls.explain(error, host: url.host) ?? "the TLS handshake failed: \(error)"
                }
            throw RedisClientError.tlsFailed("\(url.host):\(url.port): \(reason)")
        }
        return channel
    }

    /// Sends `command` and returns its reply; an error reply is returned, not thrown (see
    /// `RESPValue.orThrow`). Without a reply within the command timeout it throws
    /// `RedisClientError.timedOut` and the connection closes.
    public func send(_ command: RESPCommand) async throws -> RESPValue {
        let reply = channel.eventLoop.makePromise(of: RESPValue.self)
        // A write to a connection that has already closed never reaches the handler, which
        // would fail the reply: fail it here. (A promise completes once; later results are dropped.)
        let written = channel.eventLoop.makePromise(of: Void.self)
        // The connection's own ending says why (a TLS server refusing this client's
        // certificate closes it after the handshake); else the write's error.
        let ending = ending
        written.futureResult.whenFailure {
            reply.fail(ending.reason ?? RedisClientError.connectionFailed("\($0)"))
        }
        channel.writeAndFlush(RESPRequest(command: command, reply: reply), promise: written)
        return try await reply.futureResult.get()
    }

    /// False once the connection has closed, for whatever reason.
    public var isActive: Bool { channel.isActive }

    public func close() {
        channel.close(promise: nil)
    }
}

extension RESPValue {
    /// The reply itself, or `RedisClientError.server` for an error reply.
    @discardableResult
    public func orThrow() throws(RedisClientError) -> RESPValue {
        if case .error(let message) = self { throw .server(message) }
        return self
    }
}

extension RedisURL {
    /// NIOSSL's context for `rediss://`, its files read now; nil for `redis://`.
    func tlsContext() throws(RedisClientError) -> NIOSSLContext? {
        guard let tls else { return nil }
        do {
            return try tls.clientConfiguration().map(NIOSSLContext.init(configuration:))
        } catch let error as TLSSettingsError {
            throw .invalidURL(error.description)
        } catch {
            throw .invalidURL("the TLS settings cannot be used: \(error)")
        }
    }

    /// What an error of a connection means: a TLS failure with its reason, else a lost connection.
    @Sendable func failure(_ error: any Error) -> RedisClientError {
        if let error = error as? RedisClientError { return error }
        if let reason = tls?.explain(error, host: host) { return .tlsFailed("\(host):\(port): \(reason)") }
        return .connectionFailed("\(error)")
    }

    /// What a new connection sends before anything else: AUTH and SELECT, when needed.
    var handshake: [RESPCommand] {
        var commands: [RESPCommand] = []
        if let password {
            commands.append(
                username.map { RESPCommand("AUTH", $0, password) } ?? RESPCommand("AUTH", password))
        }
        if database != 0 { commands.append(RESPCommand("SELECT", String(database))) }
        return commands
    }
}
