import Hummingbird
import NIOCore

/// The request context of the API: the peer's address (for rate limits) and, when auth is on,
/// the name of the API key that made the request (jobs belong to it).
public struct PrimeSumRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The connection, so an error answered before the body was read can close it.
    let channel: any Channel
    /// Set by `APIKeyMiddleware` when the request carried a valid key.
    public var keyName: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }
}
