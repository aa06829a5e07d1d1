import Foundation

/// A list of ids kept in one text column: a JSON array of strings (department ids of a user).
public enum IDList {
    public static func encode(_ ids: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(ids), as: UTF8.self)) ?? "[]"
    }

    /// The ids; read directly when no string has an escape (what `encode` writes for ordinary ids), else by the JSON
    /// decoder. Planning reads this for every user of a directory, so the common case must not pay for a decoder.
    public static func decode(_ text: String) -> [String] {
        if let ids = plain(text) { return ids }
        return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }

    /// `["a", "b"]` without backslashes, or nil for anything else.
    static func plain(_ text: String) -> [String]? {
        var ids: [String] = []
        var bytes = text.utf8[...]
        func skipSpaces() { while let first = bytes.first, first == 0x20 || first == 0x0A || first == 0x0D || first == 0x09 { bytes.removeFirst() } }
        skipSpaces()
        guard bytes.popFirst() == UInt8(ascii: "[") else { return nil }
        skipSpaces()
        if bytes.first == UInt8(ascii: "]") {
            bytes.removeFirst()
            skipSpaces()
            return bytes.isEmpty ? [] : nil
        }
        while true {
            guard bytes.popFirst() == UInt8(ascii: "\"") else { return nil }
            guard let end = bytes.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            let content = bytes[..<end]
            if content.contains(UInt8(ascii: "\\")) || content.contains(where: { $0 < 0x20 }) { return nil }
            ids.append(String(decoding: content, as: UTF8.self))
            bytes = bytes[bytes.index(after: end)...]
            skipSpaces()
            switch bytes.popFirst() {
            case UInt8(ascii: ","): skipSpaces()
            case UInt8(ascii: "]"):
                skipSpaces()
                return bytes.isEmpty ? ids : nil
            default: return nil
            }
        }
    }
}
