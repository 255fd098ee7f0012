import Foundation

/// Where one part of a split job stands, what its parent's document counts and a cancellation
/// needs: the part without its sum or its piece's result (`Job.pieceResult`, up to about 1.5 MB
/// a piece near 2^64), so that reading a running job's document does not read what only its
/// settlement needs.
public struct JobPartState: Sendable, Equatable {
    public var id: UUID
    /// The part's range: what it sums, or for a piece the range [0, b) of its prefix sum.
    public var range: Range<UInt64>
    public var piece: JobPiece?
    public var status: JobStatus
    public var attempts: Int
    /// 0...1 while IN_PROGRESS.
    public var progress: Double

    public init(
        id: UUID, range: Range<UInt64>, piece: JobPiece?, status: JobStatus, attempts: Int, progress: Double
    ) {
        self.id = id
        self.range = range
        self.piece = piece
        self.status = status
        self.attempts = attempts
        self.progress = progress
    }

    /// The state of `part`.
    public init(_ part: Job) {
        self.init(
            id: part.id, range: part.a..<part.b, piece: part.piece, status: part.status,
            attempts: part.attempts,
            progress: part.progress)
    }
}
