import Foundation
import Tracing

/// A job's place in a distributed trace as the store keeps it (`Job.traceContext`): the
/// propagation fields an instrument injects for a span (`traceparent` and `tracestate` with
/// OpenTelemetry's W3C propagator) as a JSON object, so that the worker that claims the job,
/// on any replica, continues the trace of the request that submitted it.
public enum TraceCarrier {
    /// The stored form of `context`; nil when `instrument` injects nothing (tracing is off).
    public static func encode(
        _ context: InstrumentationContext, with instrument: any Instrument = InstrumentationSystem.instrument
    ) -> String? {
        var fields: [String: String] = [:]
        instrument.inject(context, into: &fields, using: FieldInjector())
        guard !fields.isEmpty, let data = try? encoder.encode(fields) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// The context a stored carrier continues; nil for none, or one that is not a carrier.
    public static func context(
        from stored: String?, with instrument: any Instrument = InstrumentationSystem.instrument
    ) -> InstrumentationContext? {
        guard let fields = fields(of: stored) else { return nil }
        var context = InstrumentationContext.topLevel
        instrument.extract(fields, into: &context, using: FieldExtractor())
        return context
    }

    /// The trace id (32 hex digits) of a stored W3C `traceparent`, for the job document and
    /// the console; nil when the carrier holds none.
    public static func traceID(in stored: String?) -> String? {
        // version-traceid-parentid-flags (W3C Trace Context, section 3.2)
        guard let parent = fields(of: stored)?["traceparent"] else { return nil }
        let parts = parent.split(separator: "-")
        guard parts.count == 4, parts[1].count == 32, parts[1].allSatisfy(\.isHexDigit),
            parts[1].contains(where: { $0 != "0" })
        else { return nil }
        return String(parts[1])
    }

    private static func fields(of stored: String?) -> [String: String]? {
        guard let stored else { return nil }
        return try? JSONDecoder().decode([String: String].self, from: Data(stored.utf8))
    }

    /// Sorted keys: the same context is stored as the same text.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private struct FieldInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
            carrier[key] = value
        }
    }

    private struct FieldExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
    }
}
