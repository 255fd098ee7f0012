import PrimeSum
import Testing

@Suite struct PrimeRangeTests {
    @Test(arguments: [
        ("0", "10", 0, 10), (" 7 ", "1e3", 7, 1000), ("0", "18446744073709551615", 0, UInt64.max),
    ])
    func parsesBounds(_ a: String, _ b: String, _ expectedA: UInt64, _ expectedB: UInt64) throws {
        let range = try PrimeRange(parsingA: a, b: b)
        #expect(range.a == expectedA && range.b == expectedB)
    }

    @Test(arguments: [
        ("x", "5", "a"), ("-1", "5", "a"), ("1.5", "5", "a"), ("", "5", "a"),
        ("5", "18446744073709551616", "b"),
        ("5", "3", "b"), ("5", "5", "b"), ("1e30", "1e31", "a"), ("0", "0x10", "b"), ("0", "1e", "b"),
    ])
    func rejectsBadInputNamingTheField(_ a: String, _ b: String, _ field: String) {
        #expect {
            try PrimeRange(parsingA: a, b: b)
        } throws: { error in
            guard case .invalidInput(let named, _) = error as? PrimeSumError else { return false }
            return named == field
        }
    }
}
