import Foundation

/// `multipart/form-data` (RFC 7578) as `requests`/`requests_toolbelt` and AsyncHTTPClient callers write it.
enum MultipartBody {
    struct Part: Sendable {
        var name: String
        var filename: String?
        var contentType: String?
        var body: Data
    }

    /// The parts of a body, `nil` when the content type is not multipart/form-data with a boundary or the body does
    /// not follow it.
    static func parse(_ body: Data, contentType: String) -> [Part]? {
        let fields = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.first?.lowercased() == "multipart/form-data",
              let parameter = fields.dropFirst().first(where: { $0.lowercased().hasPrefix("boundary=") })
        else { return nil }
        var boundary = String(parameter.dropFirst("boundary=".count))
        if boundary.hasPrefix("\""), boundary.hasSuffix("\""), boundary.count >= 2 { boundary = String(boundary.dropFirst().dropLast()) }
        guard !boundary.isEmpty else { return nil }

        let delimiter = Data(("--" + boundary).utf8)
        let crlf = Data("\r\n".utf8)
        let headerEnd = Data("\r\n\r\n".utf8)
        guard var cursor = body.range(of: delimiter)?.upperBound else { return nil }
        var parts: [Part] = []
        while true {
            // After a delimiter: "--" ends the body, otherwise a line break and the part's headers.
            if body[cursor...].starts(with: Data("--".utf8)) { return parts }
            guard body[cursor...].starts(with: crlf) else { return nil }
            let headersStart = cursor + crlf.count
            guard let headersRange = body.range(of: headerEnd, in: headersStart..<body.endIndex),
                  let next = body.range(of: crlf + delimiter, in: headersRange.upperBound..<body.endIndex)
            else { return nil }
            let headerText = String(decoding: body[headersStart..<headersRange.lowerBound], as: UTF8.self)
            var part = Part(name: "", filename: nil, contentType: nil, body: Data(body[headersRange.upperBound..<next.lowerBound]))
            for line in headerText.components(separatedBy: "\r\n") {
                let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { continue }
                switch pair[0].lowercased() {
                case "content-disposition":
                    for item in pair[1].split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                        let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
                        guard kv.count == 2 else { continue }
                        var value = kv[1]
                        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                        if kv[0].lowercased() == "name" { part.name = value }
                        if kv[0].lowercased() == "filename" { part.filename = value }
                    }
                case "content-type":
                    part.contentType = pair[1]
                default:
                    break
                }
            }
            parts.append(part)
            cursor = next.upperBound
        }
    }
}
