import Foundation

/// Query strings and path components as the bridge writes them in URLs: only RFC 3986's unreserved characters stay.
public enum PercentEncoding {
    /// A query string (`?a=1&b=x`) of the non-empty values, percent-encoded; empty when none is left.
    public static func query(_ items: KeyValuePairs<String, String?>) -> String {
        let parts = items.compactMap { key, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return "\(key)=\(component(value))"
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    /// A path component or query value, percent-encoded.
    public static func component(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
