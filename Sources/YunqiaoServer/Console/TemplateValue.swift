import Foundation
import YunqiaoCore
import Mustache
import YunqiaoServices

/// A value as the console's templates see it: the stored properties of a view by reflection — optionals unwrapped,
/// dates formatted, dictionaries as sorted `key`/`value` lists, nested views and arrays presented the same way —
/// plus `extra` fields a page computes (links, translated labels).
struct TemplateValue: MustacheParent {
    let base: Any
    let extra: [String: Any]

    init(_ base: Any, _ extra: [String: Any] = [:]) {
        self.base = base
        self.extra = extra
    }

    func child(named name: String) -> Any? {
        if let value = extra[name] { return value }
        guard let value = Mirror(reflecting: base).children.first(where: { $0.label == name })?.value else { return nil }
        return Self.present(value)
    }

    /// What a template gets for a Swift value.
    static func present(_ value: Any) -> Any? {
        switch value {
        case is String, is Bool, is Int, is Int64, is Double: return value
        case let date as Date: return ConsoleFormat.dateTime(date)
        case let array as [Any]: return array.compactMap(present)
        case let dictionary as [String: Any]:
            return dictionary.sorted { $0.key < $1.key }.map { pair -> [String: Any] in
                ["key": pair.key, "value": present(pair.value) ?? ""]
            }
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional: return mirror.children.first.flatMap { present($0.value) }
        case .struct, .class: return TemplateValue(value)
        case .enum: return "\(value)"
        default: return value
        }
    }
}

/// How the console writes dates and durations.
enum ConsoleFormat {
    /// `2026-11-26 13:05` in the server's time zone.
    static func dateTime(_ date: Date) -> String { dateTime(date, in: .current) }

    /// `dateTime` in another time zone (a schedule's).
    static func dateTime(_ date: Date, in zone: TimeZone) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: zone, from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0,
                      parts.minute ?? 0)
    }

    /// `0.42 s`, `12.3 s`, `3 min 05 s` (`0.42 秒`, `3 分 05 秒` in Chinese: `t` gives the units).
    static func duration(milliseconds: Int, _ t: [String: String] = [:]) -> String {
        let second = t["unit_seconds"] ?? "s", minute = t["unit_minutes"] ?? "min"
        if milliseconds < 10_000 { return String(format: "%.2f %@", Double(milliseconds) / 1000, second) }
        if milliseconds < 60_000 { return String(format: "%.1f %@", Double(milliseconds) / 1000, second) }
        let seconds = milliseconds / 1000
        return String(format: "%d %@ %02d %@", seconds / 60, minute, seconds % 60, second)
    }

    /// A query string (`?a=1&b=x`) of the non-empty values, percent-encoded.
    static func query(_ items: KeyValuePairs<String, String?>) -> String { PercentEncoding.query(items) }

    /// A path component or query value, percent-encoded.
    static func component(_ text: String) -> String { PercentEncoding.component(text) }
}
