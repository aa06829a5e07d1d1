import Foundation

/// The contact APIs' paging: `page_size` and `page_token` in, `has_more`, `items` and `page_token` out.
enum Pagination {
    /// Cuts one page. Tokens are opaque, bound to the query they came from, and stay valid while the caller pages.
    static func cut<T>(_ items: [T], _ call: APICall, context: String, defaultSize: Int, maxSize: Int) throws(APIError)
        -> (items: ArraySlice<T>, hasMore: Bool, token: String?)
    {
        var size = defaultSize
        if let raw = call.query("page_size") {
            guard let value = Int(raw), (1...maxSize).contains(value) else {
                throw .validation("page_size", raw, "page_size must be an integer between 1 and \(maxSize)")
            }
            size = value
        }
        var offset = 0
        if let raw = call.query("page_token"), !raw.isEmpty {
            guard let value = PageToken.decode(raw, context: context) else {
                throw .validation("page_token", raw, "page_token is invalid or belongs to another query")
            }
            offset = min(value, items.count)
        }
        let end = min(items.count, offset + size)
        let hasMore = end < items.count
        return (items[offset..<end], hasMore, hasMore ? PageToken.encode(offset: end, context: context) : nil)
    }

    static func data(items: [JSON], hasMore: Bool, token: String?) -> JSON {
        var data: [String: JSON] = ["has_more": .bool(hasMore), "items": .array(items)]
        if let token { data["page_token"] = .string(token) }
        return .object(data)
    }
}

/// Opaque page tokens: the offset, bound to the query (context) with a checksum so a token from another query or a
/// hand-edited one is refused.
enum PageToken {
    static func encode(offset: Int, context: String) -> String {
        let payload = "\(offset).\(checksum("\(offset)|\(context)"))"
        return Data(payload.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String, context: String) -> Int? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: ".")
        guard parts.count == 2, let offset = Int(parts[0]), offset >= 0,
              parts[1] == checksum("\(offset)|\(context)") else { return nil }
        return offset
    }

    private static func checksum(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 36)
    }
}
