/// The prefix method's two tuning factors, Gourdon's alpha_y and alpha_z: y = alpha x^(1/3)
/// sets the prime table's reach and L = alphaZ y the leaves' limit, which the sieve's reach
/// x / L follows (`CombinatorialPlan`). Any values give the same sums; they move time and
/// memory between the tables, the leaves and the sieve.
public struct PrefixTuning: Sendable, Hashable {
    /// alpha_y, at least 1; nil for the fitted default.
    public var alpha: Double?
    /// alpha_z, at least 1; nil for the fitted default.
    public var alphaZ: Double?

    public init(alpha: Double? = nil, alphaZ: Double? = nil) {
        self.alpha = alpha
        self.alphaZ = alphaZ
    }
}
