/// A part's result as bytes, to ship it between machines: fixed little-endian fields, then the
/// hard leaves' per-prime weights and carries (the bulk: 32 bytes per prime up to sqrt(x / y),
/// at most about 2 MB at the top of the domain). "PSP2" added L after y; a "PSP1" result,
/// from before L could differ from y, is refused, so a job split across versions fails rather
/// than join pieces of different plans.
///
/// Written by hand: the layout is a handful of integers, which no serialization library here
/// stores as 128-bit values.
extension PrefixSumPartResult {
    private static let magic: [UInt8] = Array("PSP2".utf8)

    /// The result's bytes (`init(bytes:)` reads them back).
    public var bytes: [UInt8] {
        var writer = ByteWriter()
        writer.bytes += Self.magic
        writer.append(part.x)
        writer.append(y)
        writer.append(leafLimit)
        writer.append(UInt32(part.index))
        writer.append(UInt32(part.count))
        writer.append(terms.base)
        writer.append(terms.hard.sum)
        writer.append(UInt32(terms.hard.weights.count))
        for value in terms.hard.weights { writer.append(value) }
        for value in terms.hard.left { writer.append(value) }
        for sums in [terms.lower, terms.upper] {
            writer.append(sums.weighted)
            writer.append(sums.weight)
            writer.append(sums.primeSum)
        }
        return writer.bytes
    }

    /// Reads what `bytes` wrote.
    /// - Throws: `PrimeSumError.invalidInput` for bytes that are not a whole result.
    public init(bytes: [UInt8]) throws(PrimeSumError) {
        var reader = ByteReader(bytes: bytes)
        guard reader.take(Self.magic.count).map(Array.init) == Self.magic else {
            throw .invalidInput(field: "part result", reason: "is not a prefix sum part's result")
        }
        let x: UInt64 = try reader.read()
        let y: UInt64 = try reader.read()
        let leafLimit: UInt64 = try reader.read()
        let index: UInt32 = try reader.read()
        let count: UInt32 = try reader.read()
        let part = try PrefixSumPart(x: x, index: Int(index), of: Int(count))
        var terms = PrefixSumTerms()
        terms.base = try reader.read()
        terms.hard.sum = try reader.read()
        let primes: UInt32 = try reader.read()
        // Checked before reading, so that a corrupt count cannot ask for gigabytes.
        guard reader.remaining == Int(primes) * 2 * 16 + 6 * 16 else {
            throw .invalidInput(
                field: "part result",
                reason: "has \(reader.remaining) bytes where its count asks for more or fewer")
        }
        terms.hard.weights = try (0..<primes).map { _ throws(PrimeSumError) in try reader.read() }
        terms.hard.left = try (0..<primes).map { _ throws(PrimeSumError) in try reader.read() }
        for pass in 0..<2 {
            var sums = SecondPartialSieveSum.Sums()
            sums.weighted = try reader.read()
            sums.weight = try reader.read()
            sums.primeSum = try reader.read()
            if pass == 0 { terms.lower = sums } else { terms.upper = sums }
        }
        self.init(part: part, y: y, leafLimit: leafLimit, terms: terms)
    }
}

private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func append<Value: FixedWidthInteger>(_ value: Value) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

private struct ByteReader {
    let bytes: [UInt8]
    private var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard remaining >= count else { return nil }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func read<Value: FixedWidthInteger>() throws(PrimeSumError) -> Value {
        guard let slice = take(MemoryLayout<Value>.size) else {
            throw .invalidInput(field: "part result", reason: "ends early")
        }
        var value = Value.zero
        for (shift, byte) in slice.enumerated() { value |= Value(byte) << (8 * shift) }
        return value
    }
}
