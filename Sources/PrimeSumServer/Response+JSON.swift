import Foundation
import HTTPTypes
import Hummingbird

extension Response {
    /// A JSON answer with `body`, already encoded.
    static func json(_ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    /// A JSON answer with `value`, encoded as the API encodes.
    static func json(encoding value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        json(ByteBuffer(bytes: (try? JSONEncoder.api.encode(value)) ?? Data()), status: status)
    }
}
