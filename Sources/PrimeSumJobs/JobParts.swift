import Foundation

/// Splits one job into parts that any worker on any replica computes, on any store: the split,
/// the parent's settlement when its parts end, and cancellation that reaches every part.
///
/// Every step is a write the store makes atomic (an insert under an idempotency key, a
/// compare-and-swap on a version), so no replica's memory holds a split job. Whichever worker
/// writes a part's end settles the parent right after; the parent's compare-and-swap makes it
/// FINISHED (or FAILED) exactly once, whoever gets there first. Should that worker die between
/// its two writes, the next read of the parent through the API settles it (`settle`).
public struct JobParts: Sendable {
    private let store: any JobStore
    private let resultsTTL: Duration

    public init(store: any JobStore, resultsTTL: Duration) {
        self.store = store
        self.resultsTTL = resultsTTL
    }

    /// Splits `parent`, which the caller claimed, into one part per range: the parts go into
    /// the queue first, then the parent is marked split. Returns the parent as stored, or nil
    /// when it stopped being the caller's meanwhile (then parts of a cancelled parent are
    /// cancelled too). Splitting the same parent again finds the parts already stored.
    ///
    /// A range that ends at or before `parent.a` is subtracted (`Job.isSubtracted(from:)`):
    /// [a, b) as [0, b) and [0, a).
    public func split(_ parent: Job, into ranges: [Range<UInt64>], now: Date) async throws -> Job? {
        for (index, range) in ranges.enumerated() {
            _ = try await store.create(
                .part(of: parent, index: index, a: range.lowerBound, b: range.upperBound, now: now))
        }
        var next = parent
        next.markSplit(into: ranges.count)
        guard let stored = try await store.update(next) else {
            if let current = try await store.job(id: parent.id), current.status.isTerminal {
                try await cancelParts(of: parent.id, now: now)
            }
            return nil
        }
        // Tiny parts may all have ended before the parent was marked: nobody else settles it.
        return try await settle(parentID: parent.id, now: now) ?? stored
    }

    /// Settles a split parent whose parts allow it: FINISHED with the sum once every part
    /// finished, FAILED (its other parts cancelled) once one failed. Returns the parent when
    /// this call settled it; nil when it is not split, still has parts to wait for, or was
    /// settled by another caller.
    @discardableResult
    public func settle(parentID: UUID, now: Date) async throws -> Job? {
        // A conflict is a write to the parent by another settler or a DELETE: read again.
        for _ in 0..<3 {
            guard let parent = try await store.job(id: parentID),
                let settled = settlement(of: parent, parts: try await store.parts(of: parentID), now: now)
            else { return nil }
            if let stored = try await write(settled) { return stored }
        }
        return nil
    }

    /// `settle(parentID:now:)` for a parent and its parts the caller has just read.
    public func settle(_ parent: Job, parts: [Job], now: Date) async throws -> Job? {
        guard let settled = settlement(of: parent, parts: parts, now: now) else { return nil }
        return try await write(settled)
    }

    /// The parent as its parts settle it, or nil when it is not a split job in progress or
    /// still has parts to wait for.
    private func settlement(of parent: Job, parts: [Job], now: Date) -> Job? {
        guard parent.status == .inProgress, parent.partCount > 0 else { return nil }
        var parent = parent
        if let failed = parts.first(where: { $0.status == .failed }) {
            parent.fail(
                JobFailure(
                    code: "part_failed",
                    message:
                        "the part [\(failed.a), \(failed.b)) of this job failed: \(failed.failure?.message ?? "no reason given")"
                ), now: now, ttl: resultsTTL)
            return parent
        }
        let finished = parts.filter { $0.status == .finished }
        guard finished.count == parent.partCount else { return nil }
        // Modulo 2^128: the parts of [0, b) - [0, a) pass through negative values.
        let sum = finished.reduce(UInt128(0)) { total, part in
            let value = part.sum ?? 0
            return part.isSubtracted(from: parent) ? total &- value : total &+ value
        }
        parent.finish(sum: sum, now: now, ttl: resultsTTL)
        return parent
    }

    /// Writes a settled parent (compare-and-swap); a failed one's other parts are cancelled.
    private func write(_ settled: Job) async throws -> Job? {
        guard let stored = try await store.update(settled) else { return nil }
        if stored.status == .failed, let failedAt = stored.finishedAt {
            try await cancelParts(of: stored.id, now: failedAt)
        }
        return stored
    }

    /// Cancels every part of `parentID` that has not ended; a running part's worker sees it at
    /// its next heartbeat and stops computing.
    public func cancelParts(of parentID: UUID, now: Date) async throws {
        for part in try await store.parts(of: parentID) where !part.status.isTerminal {
            var current = part
            // The part's worker writes its progress every heartbeat: retry past those writes.
            for _ in 0..<5 {
                var cancelled = current
                cancelled.cancel(now: now, ttl: resultsTTL)
                if try await store.update(cancelled) != nil { break }
                guard let stored = try await store.job(id: part.id), !stored.status.isTerminal else { break }
                current = stored
            }
        }
    }
}
