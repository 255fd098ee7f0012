import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562): the instant's Unix milliseconds in the first 48 bits, then
    /// 74 random bits. Jobs made later have larger ids, so a store's id index grows at one end
    /// and the cleaner deletes from the other: with random (version 4) ids every insert and
    /// every expiry touched a random page of the index, and a sweep of thousands of expired
    /// jobs rewrote thousands of pages.
    public static func timeOrdered(at instant: Date = Date()) -> UUID {
        let milliseconds = UInt64(max(0, instant.epochMilliseconds))
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * index)) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: high & 0x0f)  // version 7
        bytes[7] = UInt8(truncatingIfNeeded: high >> 8)
        bytes[8] = 0x80 | UInt8(truncatingIfNeeded: (high >> 16) & 0x3f)  // RFC 9562 variant
        for index in 9..<16 { bytes[index] = UInt8(truncatingIfNeeded: low >> (8 * (index - 9))) }
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
