import Foundation
import HTTPTypes
import Hummingbird

/// The web console: one page, one script, one style sheet, compiled into the binary
/// (`Console/`, SwiftPM resources embedded in code) and served at `/` and `/console`. Its
/// Content-Security-Policy allows nothing from another origin: no script, style, image or
/// connection the server did not serve.
struct ConsoleController: Sendable {
    typealias Context = PrimeSumRequestContext

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func addRoutes(to router: Router<Context>) {
        let page = Self.file(PackageResources.index_html, type: "text/html; charset=utf-8")
        router.get("/") { _, _ in page }
        router.get("console") { _, _ in page }
        let script = Self.file(PackageResources.console_js, type: "text/javascript; charset=utf-8")
        router.get("console.js") { _, _ in script }
        let style = Self.file(PackageResources.console_css, type: "text/css; charset=utf-8")
        router.get("console.css") { _, _ in style }
    }

    private static func file(_ bytes: [UInt8], type: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type, .contentSecurityPolicy: contentSecurityPolicy, .cacheControl: "no-cache",
                .xContentTypeOptions: "nosniff", .referrerPolicy: "no-referrer",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
}
