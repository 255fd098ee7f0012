import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking TCP connection to a loopback port, for tests that must control every byte and its
/// timing (slow, oversized or unfinished requests), which no HTTP client library lets through.
final class RawConnection: Sendable {
    private let socket: Int32

    /// Connects to 127.0.0.1:`port`; reads give up after `readTimeout`.
    init(port: Int, readTimeout: Duration = .seconds(10)) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            throw RawConnectionError(message: "connect failed: errno \(errno)")
        }
        var timeout = timeval(tv_sec: Int(readTimeout.components.seconds), tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(socket) }

    /// Sends `text`; false once the peer has closed (no SIGPIPE).
    @discardableResult
    func send(_ text: String) -> Bool { send(Data(text.utf8)) }

    @discardableResult
    func send(_ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let sent = Glibc.send(
                    socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return false }
                offset += sent
            }
            return true
        }
    }

    /// How a read ended.
    enum ReadEnd: Equatable {
        /// The peer closed the connection (end of stream or reset).
        case closed
        /// Nothing arrived within the read timeout.
        case timedOut
    }

    /// Reads until the peer closes or the read timeout passes; what arrived and how it ended.
    func readToEnd() -> (text: String, end: ReadEnd) {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count > 0 {
                received.append(contentsOf: buffer[0..<count])
                continue
            }
            let end: ReadEnd = count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? .timedOut : .closed
            return (String(decoding: received, as: UTF8.self), end)
        }
    }

    /// Whether the peer has closed the connection, without waiting.
    var isClosedByPeer: Bool {
        var byte: UInt8 = 0
        let count = recv(socket, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }
}

struct RawConnectionError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
