import HTTPTypes
import Hummingbird
import Synchronization

/// The methods each route path allows, read from the router once its routes are added, so that
/// a known path asked with another method gets 405 and an `Allow` header instead of 404.
final class AllowedMethods: Sendable {
    private let table = Mutex<[(components: [Substring], methods: [HTTPRequest.Method])]>([])

    /// Takes the paths and methods of every route of `router`.
    func load(from router: Router<some RequestContext>) {
        var methods: [String: [HTTPRequest.Method]] = [:]
        for route in router.routes { methods["\(route.path)", default: []].append(route.method) }
        table.withLock { table in
            table = methods.map { path, methods in
                (Self.components(path), methods.sorted { $0.rawValue < $1.rawValue })
            }
        }
    }

    /// The methods allowed on `path`; empty when no route has that path.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let asked = Self.components(path)
        return table.withLock { table in
            table.first { route in
                route.components.count == asked.count
                    && zip(route.components, asked).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }?.methods ?? []
        }
    }

    private static func components(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
