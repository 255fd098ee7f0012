import Configuration
import Foundation

/// One key `serve` reads: what it means, how its text is parsed into a `ServerConfiguration`,
/// and its default, shown from `ServerConfiguration()` where it is written once (or described,
/// where it depends on the machine or on other settings).
public struct ServerSetting: Sendable {
    /// The section the key is in (`http` of `http.port`), read through a reader scoped to it.
    public let section: String?
    /// The key within its section (`port`).
    public let name: String
    private let meaning: String
    private let defaultText: @Sendable (ServerConfiguration) -> String
    private let read: @Sendable (inout ServerConfiguration, ServerSettingReader) throws -> Void

    /// The full key: `http.port`.
    public var key: String { section.map { "\($0).\(name)" } ?? name }

    /// What the key means, and its default in parentheses.
    public var help: String { "\(meaning) (\(defaultText(ServerConfiguration())))" }

    /// Reads the key's value, when one is given, into `configuration`.
    func read(into configuration: inout ServerConfiguration, from reader: ServerSettingReader) throws {
        try read(&configuration, reader)
    }

    private init(
        _ section: String?, _ name: String, _ meaning: String,
        defaultText: @escaping @Sendable (ServerConfiguration) -> String,
        read: @escaping @Sendable (inout ServerConfiguration, ServerSettingReader) throws -> Void
    ) {
        self.section = section
        self.name = name
        self.meaning = meaning
        self.defaultText = defaultText
        self.read = read
    }

    /// A key parsed by `read`; `defaultText` describes the default.
    static func custom(
        _ section: String?, _ name: String, _ meaning: String, defaultText: String,
        read: @escaping @Sendable (inout ServerConfiguration, ServerSettingReader) throws -> Void
    ) -> ServerSetting {
        ServerSetting(section, name, meaning, defaultText: { _ in defaultText }, read: read)
    }

    /// A key that another key's `read` reads (documented here, read there).
    static func readWith(
        _ other: String, _ section: String?, _ name: String, _ meaning: String, defaultText: String
    )
        -> ServerSetting
    {
        custom(section, name, "\(meaning); read with \(other)", defaultText: defaultText) { _, _ in }
    }

    /// Text, kept as given; a `secret` is never logged by swift-configuration.
    static func text(
        _ section: String?, _ name: String, _ path: WritableKeyPath<ServerConfiguration, String> & Sendable,
        _ meaning: String
    ) -> ServerSetting {
        ServerSetting(section, name, meaning, defaultText: { $0[keyPath: path] }) { configuration, reader in
            if let text = reader.string(name) { configuration[keyPath: path] = text }
        }
    }

    /// An integer within `range`.
    static func integer<Value: BinaryInteger & Sendable>(
        _ section: String?, _ name: String, _ path: WritableKeyPath<ServerConfiguration, Value> & Sendable,
        in range: ClosedRange<Int>, _ meaning: String, defaultText: String? = nil
    ) -> ServerSetting {
        ServerSetting(section, name, meaning, defaultText: { defaultText ?? "\($0[keyPath: path])" }) {
            configuration, reader in
            if let value = try reader.integer(name, in: range) { configuration[keyPath: path] = Value(value) }
        }
    }

    /// An integer within `range` whose default (nil) is worked out from other settings.
    static func integer(
        _ section: String?, _ name: String, _ path: WritableKeyPath<ServerConfiguration, Int?> & Sendable,
        in range: ClosedRange<Int>, _ meaning: String, defaultText: String
    ) -> ServerSetting {
        custom(section, name, meaning, defaultText: defaultText) { configuration, reader in
            if let value = try reader.integer(name, in: range) { configuration[keyPath: path] = value }
        }
    }

    /// Whole seconds within `range`.
    static func seconds(
        _ section: String?, _ name: String, _ path: WritableKeyPath<ServerConfiguration, Duration> & Sendable,
        in range: ClosedRange<Int>, _ meaning: String
    ) -> ServerSetting {
        ServerSetting(section, name, meaning, defaultText: { "\($0[keyPath: path].components.seconds)" }) {
            configuration, reader in
            if let value = try reader.integer(name, in: range) {
                configuration[keyPath: path] = .seconds(value)
            }
        }
    }

    /// A finite number of at least `minimum`.
    static func number(
        _ section: String?, _ name: String, _ path: WritableKeyPath<ServerConfiguration, Double> & Sendable,
        atLeast minimum: Double, _ meaning: String
    ) -> ServerSetting {
        ServerSetting(section, name, meaning, defaultText: { Self.format($0[keyPath: path]) }) {
            configuration, reader in
            if let value = try reader.number(name, atLeast: minimum) { configuration[keyPath: path] = value }
        }
    }

    /// `2` rather than `2.0`, `0.1` as it is.
    private static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}

/// Looks a section's keys up as text, through a reader scoped to the section, and parses them
/// here, so that a malformed value is an error that names its flag and variable rather than a
/// silent fall-back to the default.
struct ServerSettingReader {
    /// The reader of every key, for a setting that reads another section's keys.
    let root: ConfigReader
    let section: String?
    private let scoped: ConfigReader

    init(root: ConfigReader, section: String?) {
        self.root = root
        self.section = section
        scoped = section.map { root.scoped(to: ConfigKey($0)) } ?? root
    }

    /// The reader of another section.
    func reading(_ section: String) -> ServerSettingReader {
        ServerSettingReader(root: root, section: section)
    }

    func string(_ name: String, secret: Bool = false) -> String? {
        scoped.string(forKey: ConfigKey(name), isSecret: secret).flatMap { $0.isEmpty ? nil : $0 }
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw invalid(name, text, "an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func number(_ name: String, atLeast minimum: Double) throws -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value.isFinite, value >= minimum else {
            throw invalid(name, text, "a number of at least \(minimum)")
        }
        return value
    }

    func invalid(_ name: String, _ text: String, _ expected: String) -> ServerConfiguration.Invalid {
        let key = section.map { "\($0).\(name)" } ?? name
        return ServerConfiguration.Invalid(
            description:
                "\(key) (\(ServerConfiguration.flag(for: key)) or \(ServerConfiguration.environmentVariable(for: key))) must be \(expected), got '\(text.prefix(60))'"
        )
    }
}
