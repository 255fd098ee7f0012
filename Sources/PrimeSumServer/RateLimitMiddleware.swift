import Hummingbird

/// Applies the submit bucket to `POST /sumPrime` and the poll bucket to the other job routes;
/// answers 429 with Retry-After when the client's bucket is empty.
struct RateLimitMiddleware: RouterMiddleware {
    let submits: RateLimiter
    let polls: RateLimiter
    let trustedProxies: Set<String>

    /// The refusal, its body encoded once: a flood is refused thousands of times a second.
    private static let refusal = APIError(
        .tooManyRequests, code: "rate_limited", message: "too many requests from this client; retry later"
    ).leaving(.unread).prepared()

    func handle(
        _ request: Request, context: PrimeSumRequestContext,
        next: (Request, PrimeSumRequestContext) async throws -> Response
    ) async throws -> Response {
        let limiter = request.method == .post ? submits : polls
        let client = ClientIdentity.of(request, context: context, trustedProxies: trustedProxies)
        if let retryAfter = limiter.acquire(for: client) {
            var refusal = Self.refusal
            refusal.retryAfter = retryAfter
            throw refusal
        }
        return try await next(request, context)
    }
}
