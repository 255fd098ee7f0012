/// Which piece of a prefix sum a part computes: piece `index` of `count` of S(b - 1), its part
/// being [0, b) (see `PrefixSumPart`). The pieces of one prefix sum share their range; their
/// results (`Job.pieceResult`) join into its sum when the parent settles (`Job.settled(by:)`).
public struct JobPiece: Sendable, Hashable, CustomStringConvertible {
    /// 0..<count.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// `INDEX/COUNT`, as the stores keep it.
    public var description: String { "\(index)/\(count)" }

    /// The piece in its stored text, or nil for text no version of primesum wrote.
    public init?(_ text: String) {
        let fields = text.split(separator: "/")
        guard fields.count == 2, let index = Int(fields[0]), let count = Int(fields[1]), count >= 1,
            (0..<count).contains(index)
        else { return nil }
        self.init(index: index, count: count)
    }
}
