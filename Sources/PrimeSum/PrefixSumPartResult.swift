/// What one `PrefixSumPart` computed; `combine` joins the results of all parts of one S(x).
public struct PrefixSumPartResult: Sendable, Equatable {
    public let part: PrefixSumPart
    /// The prefix method's y and leaves' limit L the part was computed with (they follow the
    /// engine's tuning): parts computed with different ones do not join.
    public let y: UInt64
    public let leafLimit: UInt64
    let terms: PrefixSumTerms

    init(part: PrefixSumPart, y: UInt64, leafLimit: UInt64, terms: PrefixSumTerms) {
        self.part = part
        self.y = y
        self.leafLimit = leafLimit
        self.terms = terms
    }

    /// S(x) from the results of every part of it, in any order; a part computed more than once
    /// may come more than once, and its results must agree.
    /// - Throws: `PrimeSumError.invalidInput` when the results are not exactly the parts of one
    ///   S(x) with one y and L: a part missing, two different results for one part, or parts of
    ///   different sums or splits.
    public static func combine(_ results: some Sequence<PrefixSumPartResult>) throws(PrimeSumError) -> UInt128
    {
        var byIndex: [Int: PrefixSumPartResult] = [:]
        var first: PrefixSumPartResult?
        for result in results {
            let reference = first ?? result
            first = reference
            guard result.part.x == reference.part.x, result.part.count == reference.part.count,
                result.y == reference.y, result.leafLimit == reference.leafLimit
            else {
                throw .invalidInput(
                    field: "parts",
                    reason:
                        "must all be of one sum: \(result.part) (y = \(result.y), L = \(result.leafLimit)) does not join \(reference.part) (y = \(reference.y), L = \(reference.leafLimit))"
                )
            }
            if let earlier = byIndex[result.part.index], earlier != result {
                throw .invalidInput(
                    field: "parts", reason: "disagree: \(result.part) came twice with different results")
            }
            byIndex[result.part.index] = result
        }
        guard let first else { throw .invalidInput(field: "parts", reason: "must not be empty") }
        var terms = PrefixSumTerms()
        for index in 0..<first.part.count {
            guard let result = byIndex[index] else {
                throw .invalidInput(field: "parts", reason: "lack part \(index + 1) of \(first.part.count)")
            }
            terms.append(result.terms)
        }
        return terms.value
    }
}
