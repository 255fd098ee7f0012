import Foundation

/// The engine is built for the x86-64-v2 instruction set (Package.swift): on an older x86-64
/// CPU it would stop at its first POPCNT with "Illegal instruction". This module is built for
/// the baseline, so it can say why before the engine runs.
enum ProcessorCheck {
    /// Why this machine cannot run the engine, or nil when it can (or cannot tell).
    static func problem() -> String? {
        #if arch(x86_64) && os(Linux)
            guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
                return nil
            }
            return problem(cpuinfo: cpuinfo)
        #else
            return nil
        #endif
    }

    /// The problem `/proc/cpuinfo`'s text shows: the first `flags` line lacks `popcnt`.
    static func problem(cpuinfo: String) -> String? {
        guard let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            return nil
        }
        let features = flags.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" })
        guard !features.contains("popcnt") else { return nil }
        return
            "this x86-64 processor lacks POPCNT; primesum is built for x86-64-v2 (any x86-64 processor since about 2011)"
    }
}
