/// The version of primesum: `primesum --version`, and each replica's heartbeat (the console
/// shows which version every replica runs, as a rolling update goes through).
public enum PrimeSumVersion {
    public static let current = "0.9.0"
}
