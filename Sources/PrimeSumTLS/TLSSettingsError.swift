/// The errors of TLS settings: a value that cannot be used, or a file that cannot be read.
public enum TLSSettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSetting(String)
    case unreadableFile(setting: String, path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidSetting(let reason): reason
        case .unreadableFile(let setting, let path, let reason): "\(setting) \(path): \(reason)"
        }
    }
}
