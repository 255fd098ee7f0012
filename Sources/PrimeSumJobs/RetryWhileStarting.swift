import Logging

/// Runs a backend's set-up until it succeeds, backing off from 200 ms to 5 s over `attempts`
/// tries (about 40 s by default): replicas may start before their database server does.
/// Rethrows the last error, or at once an error of the configuration (`JobStoreError.isConfigurationError`).
public func retryWhileStarting(
    _ server: String, logger: Logger, attempts: Int = 12, _ body: () async throws -> Void
) async throws {
    var delay = Duration.milliseconds(200)
    for attempt in 1...attempts {
        do {
            return try await body()
        } catch {
            guard attempt < attempts, (error as? JobStoreError)?.isConfigurationError != true else {
                throw error
            }
            logger.info("waiting for \(server)", metadata: ["error": "\(error)"])
            try await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }
}
