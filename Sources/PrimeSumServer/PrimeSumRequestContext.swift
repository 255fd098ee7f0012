import Hummingbird
import NIOCore

/// The request context of the API: the peer's address (for rate limits) and, when auth is on,
/// the name of the API key that made the request (jobs belong to it).
public struct PrimeSumRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// Set by `APIKeyMiddleware` when the request carried a valid key.
    public var keyName: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
