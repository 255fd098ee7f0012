/// One part a split job is cut into (`JobStore.split`): the sum over `range`, or, with a
/// `piece`, that piece of the prefix sum over `range`, which is then [0, x + 1).
public struct JobPartPlan: Sendable, Equatable {
    public var range: Range<UInt64>
    public var piece: JobPiece?

    public init(_ range: Range<UInt64>, piece: JobPiece? = nil) {
        self.range = range
        self.piece = piece
    }
}
