extension Duration {
    /// The duration in seconds as a floating-point number, for timings and rates.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) * 1e-18
    }
}
