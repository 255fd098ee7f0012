import Hummingbird

/// Applies the submit bucket to `POST /sumPrime` and the poll bucket to the other job routes;
/// answers 429 with Retry-After when the client's bucket is empty.
struct RateLimitMiddleware: RouterMiddleware {
    let submits: RateLimiter
    let polls: RateLimiter
    let trustedProxies: Set<String>

    func handle(
        _ request: Request, context: PrimeSumRequestContext,
        next: (Request, PrimeSumRequestContext) async throws -> Response
    ) async throws -> Response {
        let limiter = request.method == .post ? submits : polls
        let client = ClientIdentity.of(request, context: context, trustedProxies: trustedProxies)
        if let retryAfter = limiter.acquire(for: client) {
            throw APIError(
                .tooManyRequests, code: "rate_limited",
                message: "too many requests from this client; retry later",
                retryAfter: retryAfter
            ).leaving(.unread)
        }
        return try await next(request, context)
    }
}
