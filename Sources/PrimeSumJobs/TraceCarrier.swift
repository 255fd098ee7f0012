import Tracing

/// A job's place in a distributed trace as the store keeps it (`Job.traceContext`): the
/// propagation fields an instrument injects for a span (`traceparent` and `tracestate` with
/// OpenTelemetry's W3C propagator), one `name: value` line each as in HTTP headers, sorted by
/// name, so that the worker that claims the job, on any replica, continues the trace of the
/// request that submitted it. Every job document reads its trace id from it: lines, not JSON,
/// so that costs a scan of a hundred bytes.
public enum TraceCarrier {
    /// The stored form of `context`; nil when `instrument` injects nothing (tracing is off).
    public static func encode(
        _ context: InstrumentationContext, with instrument: any Instrument = InstrumentationSystem.instrument
    ) -> String? {
        var fields: [String: String] = [:]
        instrument.inject(context, into: &fields, using: FieldInjector())
        // A header value holds no line break; one that did would break the format, so it is left out.
        let lines = fields.sorted { $0.key < $1.key }.compactMap { name, value in
            (name + value).contains(where: \.isNewline) ? nil : "\(name): \(value)"
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    /// The context a stored carrier continues; nil for none.
    public static func context(
        from stored: String?, with instrument: any Instrument = InstrumentationSystem.instrument
    ) -> InstrumentationContext? {
        guard let stored else { return nil }
        var fields: [String: String] = [:]
        for line in stored.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...].drop { $0 == " " })
        }
        var context = InstrumentationContext.topLevel
        instrument.extract(fields, into: &context, using: FieldExtractor())
        return context
    }

    /// The trace id (32 hex digits) of a stored W3C `traceparent`, for the job document and
    /// the console; nil when the carrier holds none.
    public static func traceID(in stored: String?) -> String? {
        // Bytes, not Characters: every job document asks, and grapheme breaking cost more than
        // the rest of the document.
        guard let stored else { return nil }
        let prefix = "traceparent: ".utf8
        for line in stored.utf8.split(separator: UInt8(ascii: "\n")) where line.starts(with: prefix) {
            // version-traceid-parentid-flags (W3C Trace Context, section 3.2)
            let fields = line.dropFirst(prefix.count).split(separator: UInt8(ascii: "-"))
            guard fields.count == 4, fields[1].count == 32, fields[1].allSatisfy(Self.isLowerHex),
                fields[1].contains(where: { $0 != UInt8(ascii: "0") })
            else { return nil }
            return String(decoding: fields[1], as: UTF8.self)
        }
        return nil
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private struct FieldInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
            carrier[key] = value
        }
    }

    private struct FieldExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }
}
