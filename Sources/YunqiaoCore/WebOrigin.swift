import Foundation

/// The origin of an absolute URL, `scheme://host[:port]`, as Content-Security-Policy and `form-action` name it.
public enum WebOrigin {
    public static func of(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return nil }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }
}
