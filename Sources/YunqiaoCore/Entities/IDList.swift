import Foundation

/// A list of ids kept in one text column: a JSON array of strings (department ids of a user).
public enum IDList {
    public static func encode(_ ids: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(ids), as: UTF8.self)) ?? "[]"
    }

    public static func decode(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
