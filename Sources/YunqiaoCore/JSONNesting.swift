/// How deeply a JSON text nests arrays and objects, read in one pass over its bytes without parsing it.
///
/// A JSON parser's cost grows with the nesting (a decoder of free-form values tries each type at each level), so bodies
/// that anyone may send are measured with this before they are parsed: a 1 KB body of 500 nested arrays costs a
/// parser seconds, this scan microseconds.
public enum JSONNesting {
    /// Arrays and objects in arrays and objects: deeper bodies are refused. Every body the bridge takes stays under 10.
    public static let maxDepth = 32

    /// Whether `bytes` nests arrays and objects at most `limit` deep (strings and their escapes are skipped; the text is
    /// not otherwise checked: the parser does that).
    public static func isWithin(_ limit: Int = maxDepth, _ bytes: some Sequence<UInt8>) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return false }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            default:
                break
            }
        }
        return true
    }
}
