/// What a slice of S(x)'s computation contributes, in a form that slices computed apart join
/// exactly: `appending` a later slice is associative, so S(x) is the value of all slices'
/// terms appended in order, whoever computed them.
///
///   S(x) = S(y) - 1 + ordinary + easy + hard - P2   (`CombinatorialPlan`)
///
/// - `base` adds up: S(y) - 1 (in the first slice only), the ordinary and easy leaves, and
///   P2's part that only needs each slice's own weight: (upper.weight - lower.weight) S(y).
/// - `hard` carries, besides its own leaves' sum, per prime what its segments left and its
///   leaves' weight, so that a later slice's leaves add weight x what earlier ones left.
/// - `lower` and `upper` are P2's weighted prefix sums, which a later slice shifts by the prime
///   sum of the earlier ones:
///   P2 = upper.weighted + upper.weight lower.primeSum - lower.weighted + (that part of base).
struct PrefixSumTerms: Sendable, Equatable {
    var base: UInt128 = 0
    var hard = HardSpecialLeaves.ChunkResult()
    var lower = SecondPartialSieveSum.Sums()
    var upper = SecondPartialSieveSum.Sums()

    /// These terms followed by those of the next slice.
    mutating func append(_ next: PrefixSumTerms) {
        base &+= next.base
        hard.append(next.hard)
        lower.append(next.lower)
        upper.append(next.upper)
    }

    /// S(x), once every slice is appended.
    var value: UInt128 {
        let p2 = upper.weighted &+ upper.weight &* lower.primeSum &- lower.weighted
        return base &+ hard.sum &- p2
    }
}
