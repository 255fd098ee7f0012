import Foundation
import PrimeSum
import PrimeSumJobs

/// Whether a new job may enter the queue: its estimate within the configured limits (else 422),
/// this replica not draining and the queue not full (else 503, with Retry-After).
struct Admission: Sendable {
    let engine: PrimeSumEngine
    let configuration: ServerConfiguration
    let drain: DrainState
    let queueDepth: QueueDepthGauge

    /// The range's cost estimate, once the job may be queued; throws the API's refusal.
    func admit(_ range: PrimeRange) async throws -> CostEstimate {
        let estimate = engine.estimate(range)
        if estimate.seconds > configuration.maxJobSeconds
            || estimate.peakBytes > configuration.maxJobMemoryBytes
        {
            var error = APIError(
                .unprocessableContent, code: "over_cost_limit",
                message:
                    "the estimate (\(String(format: "%.1f", estimate.seconds)) s, \(estimate.peakBytes) bytes by \(estimate.method.rawValue)) passes the limit (\(configuration.maxJobSeconds) s, \(configuration.maxJobMemoryBytes) bytes)"
            )
            error.details = [
                "estimatedSeconds": String(format: "%.3f", estimate.seconds),
                "estimatedBytes": "\(estimate.peakBytes)",
                "limitSeconds": "\(configuration.maxJobSeconds)",
                "limitBytes": "\(configuration.maxJobMemoryBytes)",
            ]
            throw error
        }
        if drain.isDraining {
            throw APIError(
                .serviceUnavailable, code: "draining", message: "this replica is shutting down", retryAfter: 1
            )
        }
        if try await queueDepth.depth >= configuration.queueCapacity {
            throw APIError(
                .serviceUnavailable, code: "queue_full", message: "the queue is full", retryAfter: 5)
        }
        return estimate
    }

    /// Counts a job this replica just queued.
    func admitted() { queueDepth.admitted() }
}
