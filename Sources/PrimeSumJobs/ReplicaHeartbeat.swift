import Foundation

/// What a replica tells the others about itself every few seconds, through the store: who it is,
/// what it runs, and what it did lately. Stores keep it as the JSON of `encoded()`.
public struct ReplicaHeartbeat: Sendable, Equatable, Codable {
    /// Unique per process: host name and process id.
    public var name: String
    /// `all`, `api` or `worker`.
    public var role: String
    /// Worker tasks (0 for an API-only replica).
    public var workers: Int
    public var version: String
    public var startedAt: Date
    public var seenAt: Date
    /// Jobs its workers are computing now.
    public var running: Int
    /// Jobs its workers finished lately, oldest window first.
    public var activity: [ActivityWindow]

    public init(
        name: String, role: String, workers: Int, version: String, startedAt: Date, seenAt: Date,
        running: Int = 0, activity: [ActivityWindow] = []
    ) {
        self.name = name
        self.role = role
        self.workers = workers
        self.version = version
        self.startedAt = startedAt
        self.seenAt = seenAt
        self.running = running
        self.activity = activity
    }

    /// The JSON a store keeps.
    public func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        // Every field is a string, a number or an array of them: encoding cannot fail.
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// The heartbeat in a store's JSON; throws `JobStoreError.corrupt` for JSON it did not write.
    public init(encoded: String) throws(JobStoreError) {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        do { self = try decoder.decode(Self.self, from: Data(encoded.utf8)) } catch {
            throw .corrupt("a replica heartbeat that is not one: \(encoded.prefix(80))")
        }
    }
}
