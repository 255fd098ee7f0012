import Foundation
import PrimeSum

/// The body of `POST /sumPrime`: `a` and `b` as JSON integers or strings of decimal digits.
struct SubmitRequest: Decodable {
    let range: PrimeRange

    private enum Keys: String, CodingKey { case a, b }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let a = try Self.bound(container, .a)
        let b = try Self.bound(container, .b)
        range = try PrimeRange(a: a, b: b)
    }

    /// Parses a JSON body, naming the field and the problem in every error.
    static func parse(_ data: Data) throws -> PrimeRange {
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) is [String: Any]
        else {
            throw APIError(
                .badRequest, code: "malformed_json",
                message: "the body must be a JSON object like {\"a\": 1, \"b\": 10}")
        }
        do {
            return try JSONDecoder().decode(SubmitRequest.self, from: data).range
        } catch let error as PrimeSumError {
            throw APIError(from: error)
        }
    }

    private static func bound(_ container: KeyedDecodingContainer<Keys>, _ key: Keys) throws -> UInt64 {
        let field = key.rawValue
        guard container.contains(key), try !container.decodeNil(forKey: key) else {
            throw PrimeSumError.invalidInput(field: field, reason: "is missing")
        }
        if let value = try? container.decode(UInt64.self, forKey: key) { return value }
        if let text = try? container.decode(String.self, forKey: key) {
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw PrimeSumError.invalidInput(
                    field: field, reason: "must be a string of decimal digits (got \"\(text.prefix(40))\")")
            }
            return try PrimeRange.parseBound(text, field: field)
        }
        if let value = try? container.decode(Double.self, forKey: key) {
            if value < 0 { throw PrimeSumError.invalidInput(field: field, reason: "must not be negative") }
            if value.rounded() != value {
                throw PrimeSumError.invalidInput(field: field, reason: "must be an integer")
            }
            throw PrimeSumError.invalidInput(field: field, reason: "must be at most 2^64-1 = \(UInt64.max)")
        }
        throw PrimeSumError.invalidInput(
            field: field, reason: "must be an integer or a string of decimal digits")
    }
}
