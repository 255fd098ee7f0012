import PrimeSumJobs

/// How long an API request waits on the store before it answers 503 instead.
///
/// A store cut off by a partition drops packets rather than refusing them, and the stores' own
/// timeouts (10 s on PostgreSQL, twice that for a submit queued behind a batch in flight) would
/// outlast a load balancer's, which then answers 504 for a request the client cannot tell from
/// a lost one. So a request's store call ends within `call`, and a long-poll's read after its
/// wait within `afterWait`: the longest request takes its wait plus `afterWait`, or `call`
/// when longer (a balancer's timeout must exceed that: `limits.maxWaitSeconds` + 5 s is safe).
enum StoreDeadline {
    /// The longest one store call of a request takes before its 503.
    static let call = Duration.seconds(4)
    /// How long past its wait a long-poll waits for the store's answer.
    static let afterWait = Duration.seconds(2)

    /// `body`'s result, or `JobStoreError.unavailable` once `limit` has passed.
    static func run<T: Sendable>(
        within limit: Duration = call, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withDeadline(
            max(.zero, limit),
            expired: { JobStoreError.unavailable("the store did not answer within \(limit)") },
            body)
    }
}
