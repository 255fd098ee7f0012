/// One part of a sum split for many machines (`CostModel.sumParts`): the sum over a range, or
/// one piece of a prefix sum S(x), whose result joins the other pieces' results
/// (`PrefixSumPartResult.combine`) rather than adding to them.
public enum SumPart: Sendable, Hashable {
    case range(PrimeRange)
    case prefixPiece(PrefixSumPart)
}
