/// The half-open interval [a, b) of integers whose primes are summed, with 0 <= a < b <= 2^64-1.
public struct PrimeRange: Sendable, Hashable, CustomStringConvertible {
    /// The inclusive lower bound `a`.
    public let a: UInt64
    /// The exclusive upper bound `b`.
    public let b: UInt64

    /// Creates the range [a, b), or throws when a >= b.
    public init(a: UInt64, b: UInt64) throws(PrimeSumError) {
        guard a < b else {
            throw .invalidInput(field: "b", reason: "must be greater than a (got a=\(a), b=\(b))")
        }
        self.a = a
        self.b = b
    }

    /// Parses both bounds from text (see `PrimeRange.parseBound`) and checks a < b.
    public init(parsingA a: String, b: String) throws(PrimeSumError) {
        try self.init(a: Self.parseBound(a, field: "a"), b: Self.parseBound(b, field: "b"))
    }

    /// The number of integers in the range.
    public var width: UInt64 { b - a }

    public var description: String { "[\(a), \(b))" }

    /// Parses a bound written as decimal digits, or as `MeE` (for example `1e12`) when it is an
    /// exact integer. The error names `field` and says what is wrong with the text.
    public static func parseBound(_ text: String, field: String) throws(PrimeSumError) -> UInt64 {
        let trimmed = String(text.trimmingWhitespace())
        guard !trimmed.isEmpty else { throw .invalidInput(field: field, reason: "is empty") }
        if trimmed.hasPrefix("-") {
            throw .invalidInput(field: field, reason: "must not be negative (got \(trimmed))")
        }
        let parts = trimmed.lowercased().split(separator: "e", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
            throw .invalidInput(
                field: field, reason: "must be a non-negative integer (got \(trimmed.prefix(40)))")
        }
        var value = UInt128(0)
        for digit in parts[0] {
            value = value * 10 + UInt128(digit.asciiValue! - 48)
            guard value <= UInt128(UInt64.max) else { throw tooLarge(field, trimmed) }
        }
        if parts.count == 2 {
            guard let exponent = Int(parts[1]), exponent <= 40 else { throw tooLarge(field, trimmed) }
            for _ in 0..<exponent where value != 0 {
                value *= 10
                guard value <= UInt128(UInt64.max) else { throw tooLarge(field, trimmed) }
            }
        }
        return UInt64(value)
    }

    private static func tooLarge(_ field: String, _ text: String) -> PrimeSumError {
        .invalidInput(field: field, reason: "must be at most 2^64-1 = \(UInt64.max) (got \(text.prefix(40)))")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
        return self[start..<end]
    }
}
