import Synchronization

/// Numbered partial sums written by parallel pieces, added up modulo 2^128 at the end.
final class PartialSums: Sendable {
    private let values: Mutex<[UInt128]>

    init(count: Int) { values = Mutex([UInt128](repeating: 0, count: count)) }

    func set(_ index: Int, _ value: UInt128) { values.withLock { $0[index] = value } }

    var total: UInt128 { values.withLock { $0.reduce(0, &+) } }
}
