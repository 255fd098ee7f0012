import HTTPTypes
import Hummingbird
import NIOCore

/// Who a request counts against for rate limits: the API key when auth is on, else the peer's
/// address, or the client named by X-Forwarded-For when the peer is a trusted proxy.
enum ClientIdentity {
    static func of(_ request: Request, context: PrimeSumRequestContext, trustedProxies: Set<String>) -> String
    {
        if let keyName = context.keyName { return "key:\(keyName)" }
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        guard trustedProxies.contains(peer), let forwarded = request.headers[.xForwardedFor] else {
            return "ip:\(peer)"
        }
        // The rightmost address not added by one of our own proxies is the client.
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return "ip:" + (hops.last { !trustedProxies.contains($0) } ?? hops.first ?? peer)
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
