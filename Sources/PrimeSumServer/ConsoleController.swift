import Foundation
import HTTPTypes
import Hummingbird

/// The web console: one page, one script, one style sheet, compiled into the binary
/// (`Console/`, SwiftPM resources embedded in code) and served at `/` and `/console`. Its
/// Content-Security-Policy allows nothing from another origin: no script, style, image or
/// connection the server did not serve. The page names `traceLink` (`tracing.link`) in a
/// `<meta>` for the script to link each job's trace.
struct ConsoleController: Sendable {
    typealias Context = PrimeSumRequestContext

    var traceLink: String?

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func addRoutes(to router: Router<Context>) {
        let html = String(decoding: PackageResources.index_html, as: UTF8.self).replacingOccurrences(
            of: #"<meta name="primesum-trace-link" content="">"#,
            with: #"<meta name="primesum-trace-link" content="\#(Self.escaped(traceLink ?? ""))">"#)
        let page = Self.file(Array(html.utf8), type: "text/html; charset=utf-8")
        router.get("/") { _, _ in page }
        router.get("console") { _, _ in page }
        let script = Self.file(PackageResources.console_js, type: "text/javascript; charset=utf-8")
        router.get("console.js") { _, _ in script }
        let style = Self.file(PackageResources.console_css, type: "text/css; charset=utf-8")
        router.get("console.css") { _, _ in style }
    }

    /// `text` as an HTML attribute's value.
    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
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
