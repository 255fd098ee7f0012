// Written here: swift-log ships a plain-text handler only, and no JSON handler is available
// from this machine's package sources. This one writes what log pipelines (Loki,
// Elasticsearch, Cloud Logging) read as fields.
import Foundation
import Logging
import Synchronization

/// One JSON object a line on standard error: `time` (UTC, milliseconds), `level`, `message`,
/// `replica`, `label`, `source`, and every metadata value (the job id as `job`, …) as a field
/// of its own; a metadata key that would hide one of those is written with `_` before it.
struct JSONLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let replica: String

    /// Whole lines only: one write a line, never two lines' bytes interleaved.
    private static let output = Mutex(())
    private static let fixedFields: Set<String> = ["time", "level", "message", "replica", "label", "source"]

    init(label: String, replica: String) {
        self.label = label
        self.replica = replica
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let given = event.metadata { fields.merge(given) { $1 } }
        var line = "{\"time\":"
        Self.append(.string(Self.timestamp(Date())), to: &line)
        for (key, value) in [
            ("level", event.level.rawValue), ("message", event.message.description), ("replica", replica),
            ("label", label), ("source", event.source),
        ] {
            line += ",\"\(key)\":"
            Self.append(.string(value), to: &line)
        }
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            line += ","
            Self.append(.string(Self.fixedFields.contains(key) ? "_" + key : key), to: &line)
            line += ":"
            Self.append(value, to: &line)
        }
        line += "}\n"
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// `2026-12-05T16:20:01.123Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(
            Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))
    }

    /// A metadata value as JSON: strings (and whatever describes itself) as strings, arrays
    /// and dictionaries as such.
    static func append(_ value: Logger.Metadata.Value, to line: inout String) {
        switch value {
        case .string(let text):
            line += "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": line += "\\\""
                case "\\": line += "\\\\"
                case "\n": line += "\\n"
                case "\r": line += "\\r"
                case "\t": line += "\\t"
                case _ where scalar.value < 0x20:
                    line += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
                default: line.unicodeScalars.append(scalar)
                }
            }
            line += "\""
        case .stringConvertible(let value):
            append(.string(value.description), to: &line)
        case .array(let values):
            line += "["
            for (index, value) in values.enumerated() {
                if index > 0 { line += "," }
                append(value, to: &line)
            }
            line += "]"
        case .dictionary(let values):
            line += "{"
            for (index, (key, value)) in values.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { line += "," }
                append(.string(key), to: &line)
                line += ":"
                append(value, to: &line)
            }
            line += "}"
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
