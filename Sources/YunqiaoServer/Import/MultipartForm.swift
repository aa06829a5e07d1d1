import Foundation
import YunqiaoCore
import YunqiaoServices

/// A `multipart/form-data` body (RFC 7578) as browsers send a form with a file: its parts with their names, file
/// names, content types and bytes. Strict where it matters (the boundary, the part headers, the closing delimiter)
/// and lenient where browsers differ (a preamble, LF-only line breaks in the headers, `filename*`).
struct MultipartForm: Sendable {
    struct Part: Sendable, Equatable {
        /// The form field's name.
        var name: String
        /// The chosen file's name, for a file field (may be empty when no file was chosen).
        var fileName: String?
        var contentType: String?
        var data: Data

        /// The part as UTF-8 text (a plain field).
        var text: String { String(decoding: data, as: UTF8.self) }
    }

    struct ReadError: Error, Sendable, Equatable, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// The largest body read (a spreadsheet of 100 000 users fits easily).
    static let maxBodySize = 32 * 1024 * 1024
    /// More parts than a form of ours has is a malformed or hostile body.
    static let maxParts = 64
    static let maxHeaderBytes = 8 * 1024

    /// A chosen file: its name as the browser sent it (empty when none was chosen), its content type and bytes.
    struct File: Sendable, Equatable {
        var fileName: String
        var contentType: String?
        var data: Data
    }

    /// Every part, in the body's order.
    private(set) var parts: [Part]
    /// The file fields by name (the first of a repeated name).
    private(set) var files: [String: File] = [:]
    /// The plain fields by name, as UTF-8 text (the first of a repeated name).
    private(set) var fields: [String: String] = [:]

    /// The text of the plain (non-file) field named `name`, e.g. `form["_csrf"]`.
    subscript(name: String) -> String? { fields[name] }

    /// Whether a content type is `multipart/form-data` (with or without a usable boundary).
    static func isMultipart(_ contentType: String?) -> Bool {
        contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "multipart/form-data"
    }

    /// The boundary of a `multipart/form-data` content type, or nil for any other type.
    static func boundary(of contentType: String?) -> String? {
        guard let contentType else { return nil }
        let fields = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.first?.lowercased() == "multipart/form-data" else { return nil }
        for field in fields.dropFirst() {
            let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            // RFC 2046: 1 to 70 characters.
            guard (1...70).contains(value.utf8.count) else { return nil }
            return value
        }
        return nil
    }

    /// Parses `body` sent with `contentType` (`multipart/form-data; boundary=…`).
    init(contentType: String?, body: Data) throws {
        guard let boundary = Self.boundary(of: contentType) else {
            throw ReadError(message: "the body is not multipart/form-data with a boundary")
        }
        try self.init(body, boundary: boundary)
    }

    init(_ body: Data, boundary: String) throws {
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        // Each delimiter after the first is preceded by CRLF (taken as part of it).
        let separator = Array("\r\n--\(boundary)".utf8)
        guard var position = Self.find(delimiter, in: bytes, from: 0) else {
            throw ReadError(message: "the multipart body has no boundary line")
        }
        // A preamble before the first delimiter is allowed, on lines of its own.
        guard position == 0 || bytes[position - 1] == 0x0A else {
            throw ReadError(message: "the multipart body's first boundary is not on a line of its own")
        }
        position += delimiter.count
        var parts: [Part] = []
        while true {
            // After a delimiter: `--` closes the body; otherwise optional whitespace and a line break open a part.
            if bytes.count >= position + 2, bytes[position] == 0x2D, bytes[position + 1] == 0x2D { break }
            while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
            position = try Self.skipLineBreak(bytes, position)
            guard parts.count < Self.maxParts else { throw ReadError(message: "the multipart body has more than \(Self.maxParts) parts") }
            let (headers, contentStart) = try Self.headers(bytes, from: position)
            guard let end = Self.find(separator, in: bytes, from: contentStart) else {
                throw ReadError(message: "the multipart body ends without its closing boundary")
            }
            parts.append(try Self.part(headers: headers, data: Data(bytes[contentStart..<end])))
            position = end + separator.count
        }
        self.parts = parts
        for part in parts {
            if let fileName = part.fileName {
                if files[part.name] == nil { files[part.name] = File(fileName: fileName, contentType: part.contentType, data: part.data) }
            } else if fields[part.name] == nil {
                fields[part.name] = part.text
            }
        }
    }

    private static func skipLineBreak(_ bytes: [UInt8], _ position: Int) throws -> Int {
        if bytes.count >= position + 2, bytes[position] == 0x0D, bytes[position + 1] == 0x0A { return position + 2 }
        if bytes.count >= position + 1, bytes[position] == 0x0A { return position + 1 }
        throw ReadError(message: "the multipart body has a malformed boundary line")
    }

    /// A part's header lines (until an empty line) and where its content starts.
    private static func headers(_ bytes: [UInt8], from start: Int) throws -> ([(String, String)], Int) {
        var headers: [(String, String)] = []
        var position = start
        while true {
            guard position - start <= maxHeaderBytes else { throw ReadError(message: "a multipart part's headers are too long") }
            guard let lineEnd = bytes[position...].firstIndex(of: 0x0A) else {
                throw ReadError(message: "the multipart body ends inside a part's headers")
            }
            var line = bytes[position..<lineEnd]
            if line.last == 0x0D { line = line.dropLast() }
            position = lineEnd + 1
            if line.isEmpty { return (headers, position) }
            let text = String(decoding: line, as: UTF8.self)
            guard let colon = text.firstIndex(of: ":") else { throw ReadError(message: "a multipart part has a malformed header line") }
            headers.append((text[..<colon].trimmingCharacters(in: .whitespaces).lowercased(),
                            text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
    }

    private static func part(headers: [(String, String)], data: Data) throws -> Part {
        guard let disposition = headers.first(where: { $0.0 == "content-disposition" })?.1 else {
            throw ReadError(message: "a multipart part has no Content-Disposition")
        }
        let kind = disposition.prefix { $0 != ";" }
        let parameters = Self.parameters(String(disposition.dropFirst(kind.count)))
        guard kind.trimmingCharacters(in: .whitespaces).lowercased() == "form-data", let name = parameters["name"] else {
            throw ReadError(message: "a multipart part is not form-data with a name")
        }
        var fileName = parameters["filename"].map(Self.browserFileName)
        if let extended = parameters["filename*"], let decoded = Self.extendedValue(extended) { fileName = decoded }
        return Part(name: name, fileName: fileName, contentType: headers.first(where: { $0.0 == "content-type" })?.1, data: data)
    }

    /// `; name="file"; filename="a;b.csv"` → [name: file, filename: a;b.csv]: `;`-separated `key=value` pairs, values
    /// plain or quoted strings with backslash escapes; keys lower-cased; the first of a repeated key wins.
    static func parameters(_ text: String) -> [String: String] {
        var characters = Substring(text)
        var parameters: [String: String] = [:]
        while !characters.isEmpty {
            characters = characters.drop { $0 == ";" || $0 == " " || $0 == "\t" }
            let key = characters.prefix { $0 != "=" && $0 != ";" }
            characters = characters.dropFirst(key.count)
            guard characters.first == "=" else { continue }
            characters = characters.dropFirst().drop { $0 == " " || $0 == "\t" }
            var value = ""
            if characters.first == "\"" {
                characters = characters.dropFirst()
                while let character = characters.popFirst() {
                    if character == "\"" { break }
                    if character == "\\", let next = characters.first, next == "\"" || next == "\\" {
                        value.append(next)
                        characters = characters.dropFirst()
                    } else {
                        value.append(character)
                    }
                }
                characters = characters.drop { $0 != ";" }
            } else {
                let raw = characters.prefix { $0 != ";" }
                characters = characters.dropFirst(raw.count)
                value = raw.trimmingCharacters(in: .whitespaces)
            }
            let name = key.trimmingCharacters(in: .whitespaces).lowercased()
            if !name.isEmpty, parameters[name] == nil { parameters[name] = value }
        }
        return parameters
    }

    /// A file name as browsers send it: HTML encodes `"`, CR and LF as `%22`, `%0D` and `%0A` (nothing else is
    /// decoded, so `100%.csv` stays); old browsers send a whole Windows path (`C:\fakepath\a.csv`), of which the
    /// last part is the name.
    static func browserFileName(_ raw: String) -> String {
        let name = raw.split(separator: "\\", omittingEmptySubsequences: false).last.map(String.init) ?? raw
        return name.replacingOccurrences(of: "%22", with: "\"").replacingOccurrences(of: "%0D", with: "\r")
            .replacingOccurrences(of: "%0A", with: "\n")
    }

    /// RFC 5987 `UTF-8''%E5%90%8D.csv` → `名.csv`.
    static func extendedValue(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return pieces[2].removingPercentEncoding
    }

    /// Where `needle` first occurs in `haystack` at or after `start`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = max(0, start)
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }
}
