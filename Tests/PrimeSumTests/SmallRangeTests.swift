import PrimeSum
import Testing

/// Both methods against trial division and Miller-Rabin on small and boundary ranges.
@Suite struct SmallRangeTests {
    static let boundaries: [(UInt64, UInt64)] = [
        (0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3), (2, 4), (0, 100), (1, 100), (2, 100),
        (3, 4), (7, 8), (8, 11), (11, 12), (24, 29), (24, 30), (90, 97), (114, 127), (1_000_000, 1_000_003),
        (UInt64.max - 1, UInt64.max), (UInt64.max - 58, UInt64.max), (UInt64.max - 59, UInt64.max),
        (UInt64.max - 58, UInt64.max - 57), (UInt64.max - 1_000, UInt64.max),
        (4_294_967_291, 4_294_967_292), (4_294_967_000, 4_294_967_400),
    ]

    @Test(arguments: boundaries, [SumMethod.sieve, .auto])
    func boundaryRange(_ bounds: (UInt64, UInt64), method: SumMethod) async throws {
        let range = try PrimeRange(a: bounds.0, b: bounds.1)
        let sum = try await PrimeSumEngine().sum(range, method: method)
        #expect(sum == BruteForce.sum(bounds.0, bounds.1), "\(range) \(method)")
    }

    /// The prefix method needs O(sqrt b) memory: near 2^64 only the sieve is practical, so its
    /// cases are the boundaries up to 2^40 (listed, not skipped inside the test).
    @Test(arguments: boundaries.filter { $0.1 <= 1 << 40 })
    func boundaryRangeByPrefix(_ bounds: (UInt64, UInt64)) async throws {
        let range = try PrimeRange(a: bounds.0, b: bounds.1)
        let sum = try await PrimeSumEngine().sum(range, method: .prefix)
        #expect(sum == BruteForce.sum(bounds.0, bounds.1), "\(range) prefix")
    }

    @Test(arguments: SumMethod.allCases)
    func randomSmallRanges(method: SumMethod) async throws {
        var generator = SplitMix64(seed: 2026)
        let engine = PrimeSumEngine()
        for _ in 0..<300 {
            let a = UInt64.random(in: 0...200_000, using: &generator)
            let b = a + UInt64.random(in: 1...3_000, using: &generator)
            let sum = try await engine.sum(PrimeRange(a: a, b: b), method: method)
            #expect(sum == BruteForce.sum(a, b), "[\(a), \(b)) \(method)")
        }
    }

    @Test func rangesWithoutPrimesSumToZero() async throws {
        for (a, b): (UInt64, UInt64) in [(0, 2), (24, 29), (114, 127), (UInt64.max - 57, UInt64.max)] {
            #expect(try await PrimeSumEngine().sum(PrimeRange(a: a, b: b)) == 0)
        }
    }
}

/// A small seeded generator so random tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
