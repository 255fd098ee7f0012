import Foundation
import Synchronization

/// A one-line progress bar on standard error, drawn only when standard error is a terminal.
final class ProgressBar: Sendable {
    private let label: String
    private let started = ContinuousClock.now
    private let lastDrawn = Mutex<Int>(-1)

    /// A bar, or nil when standard error is not a terminal (then nothing is drawn).
    init?(label: String) {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        self.label = label
    }

    /// Redraws the bar for `fraction` (0...1) when the shown percentage changes.
    func update(_ fraction: Double) {
        let permille = Int((min(max(fraction, 0), 1) * 1000).rounded(.down))
        let changed = lastDrawn.withLock { last in
            guard permille != last else { return false }
            last = permille
            return true
        }
        guard changed else { return }
        let width = 30
        let filled = permille * width / 1000
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let elapsed = (ContinuousClock.now - started).seconds
        let line = String(format: "\r%@ [%@] %5.1f%% %6.1fs", label, bar, Double(permille) / 10, elapsed)
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Ends the bar's line.
    func finish() {
        update(1)
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
