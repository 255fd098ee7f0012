import HTTPTypes
import Hummingbird

/// Hummingbird's `TracingMiddleware` for the requests a trace is about: every submit (its span
/// is the parent of the job's spans) and every request that carries a `traceparent` (a client
/// following its job in its own trace). A poll without one, most of the service's requests,
/// would open a trace of its own that nobody looks for, at swift-otel's cost per span.
struct RequestTracingMiddleware<Context: RequestContext>: RouterMiddleware {
    private let tracing = TracingMiddleware<Context>()

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post || request.headers[.traceparent] != nil else {
            return try await next(request, context)
        }
        return try await tracing.handle(request, context: context, next: next)
    }
}

extension HTTPField.Name {
    /// W3C Trace Context's header.
    static let traceparent = Self("traceparent")!
}
