import Foundation

/// A store's optional capability: the cluster-wide cleaner lease, for stores several processes
/// share, so that one replica at a time requeues lapsed jobs and deletes expired ones
/// (`Cleaner`). Without it, the process's cleaner always works.
public protocol CleanerLeaseStore: Sendable {
    /// Takes or renews the cleaner lease for `holder` until `until`; false while another
    /// holder's lease is still running.
    func acquireCleanerLease(holder: String, until: Date, now: Date) async throws -> Bool
}
