import Foundation

/// A store's optional capability: the replicas' heartbeats, for the console's list of replicas
/// and their figures (`HeartbeatService`). Stores that keep them delete those no longer listed
/// in `JobStore.deleteExpired`.
public protocol HeartbeatStore: Sendable {
    /// Stores a replica's heartbeat (`document`, the JSON of a `ReplicaHeartbeat`), replacing
    /// that replica's last one; it is listed until `until`.
    func recordHeartbeat(replica: String, document: String, until: Date) async throws

    /// The heartbeat documents still listed at `now`, one per replica.
    func heartbeats(now: Date) async throws -> [String]
}

extension HeartbeatStore {
    /// Stores `heartbeat`, replacing its replica's last one; it is listed until `until`.
    public func record(_ heartbeat: ReplicaHeartbeat, until: Date) async throws {
        try await recordHeartbeat(replica: heartbeat.name, document: heartbeat.encoded(), until: until)
    }

    /// The replicas whose heartbeat is still listed at `now`, by name.
    public func replicas(now: Date) async throws -> [ReplicaHeartbeat] {
        try await heartbeats(now: now).map { try ReplicaHeartbeat(encoded: $0) }.sorted { $0.name < $1.name }
    }
}
