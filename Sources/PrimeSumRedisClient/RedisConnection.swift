// A Redis client written here: no Swift Redis client is available from this machine's package
// sources, and the store needs only RESP2 over one TCP connection, pipelined, plus pub/sub.
import NIOCore
import NIOPosix

/// One TCP connection to Redis, authenticated and on its database, that pipelines: any number
/// of tasks may send commands at once, and each gets its own reply.
public final class RedisConnection: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects, then sends AUTH and SELECT as the URL asks.
    public static func connect(
        to url: RedisURL, timeout: Duration = .seconds(5), commandTimeout: Duration = .seconds(10),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RedisConnection {
        let channel = try await open(url, timeout: timeout, group: group) { channel in
            try channel.pipeline.syncOperations.addHandlers(
                ByteToMessageHandler(RESPDecoder()), RESPCommandHandler(commandTimeout: .init(commandTimeout))
            )
        }
        let connection = RedisConnection(channel: channel)
        do {
            for command in url.handshake { try await connection.send(command).orThrow() }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// A TCP connection to the URL's server with the handlers `configure` adds.
    static func open(
        _ url: RedisURL, timeout: Duration, group: any EventLoopGroup,
        configure: @escaping @Sendable (any Channel) throws -> Void
    ) async throws -> any Channel {
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(.init(timeout))
                .channelOption(.socketOption(.so_keepalive), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try configure(channel) }
                }
                .connect(host: url.host, port: url.port).get()
        } catch {
            throw RedisClientError.connectionFailed("\(url.host):\(url.port): \(error)")
        }
    }

    /// Sends `command` and returns its reply; an error reply is returned, not thrown (see
    /// `RESPValue.orThrow`). Without a reply within the command timeout it throws
    /// `RedisClientError.timedOut` and the connection closes.
    public func send(_ command: RESPCommand) async throws -> RESPValue {
        let reply = channel.eventLoop.makePromise(of: RESPValue.self)
        // A write to a connection that has already closed never reaches the handler, which
        // would fail the reply: fail it here. (A promise completes once; later results are dropped.)
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { reply.fail(RedisClientError.connectionFailed("\($0)")) }
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
