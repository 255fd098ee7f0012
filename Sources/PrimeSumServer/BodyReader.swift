import Hummingbird
import NIOCore

/// Reads a request body within bounds: at most `limit` bytes (else 413), all of it within
/// `timeout` (else 408). Past the limit it reads on, throwing the bytes away, up to
/// `discardLimit`: a client that sent a little too much finishes sending and reads its 413
/// instead of a reset. Either error closes the connection after the answer (`APIError`), since
/// what is left of the body is never read.
struct BodyReader: Sendable {
    let limit: Int
    let timeout: Duration
    var discardLimit = 1 << 20

    func read(_ body: RequestBody) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await collect(body) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else {
                throw APIError(
                    .requestTimeout, code: "body_timeout",
                    message: "the request body did not arrive within \(timeout.components.seconds) s"
                ).leaving(.stalled)
            }
            return buffer
        }
    }

    private func collect(_ body: RequestBody) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        var seen = 0
        for try await chunk in body {
            seen += chunk.readableBytes
            if seen <= limit {
                collected.writeImmutableBuffer(chunk)
            } else if seen > discardLimit {
                break
            }
        }
        guard seen <= limit else {
            throw APIError(
                .contentTooLarge, code: "body_too_large",
                message: "the request body is larger than \(limit) bytes"
            ).leaving(.unread)
        }
        return collected
    }
}
