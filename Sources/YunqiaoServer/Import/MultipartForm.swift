import Foundation
import MultipartKit
import NIOCore
import NIOHTTP1
import YunqiaoCore

/// A `multipart/form-data` body (RFC 7578) as browsers send a form with a file: its parts with their names, file
/// names, content types and bytes, split by vapor/multipart-kit's parser. Strict where it matters (the boundary, the
/// part headers, the closing delimiter) and lenient where browsers differ (a preamble, LF-only line breaks in the
/// headers, `filename*`).
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
        var message: LocalizedText
        var description: String { message.description }
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

    /// Parses `body`: multipart-kit's parser splits it into parts (their header lines and contents); this type reads
    /// their `Content-Disposition`.
    init(_ body: Data, boundary: String) throws {
        let parser = MultipartParser(boundary: boundary)
        var parts: [MultipartPart] = []
        var part = MultipartPart(body: ByteBuffer())
        parser.onHeader = { name, value in part.headers.add(name: name, value: value.trimmingCharacters(in: .whitespaces)) }
        parser.onBody = { content in part.body.writeBuffer(&content) }
        parser.onPartComplete = {
            parts.append(part)
            part = MultipartPart(body: ByteBuffer())
        }
        do {
            try parser.execute(Self.framed([UInt8](body), boundary: boundary))
        } catch let error as ReadError {
            throw error
        } catch {
            throw ReadError(message: "the multipart body is malformed")
        }
        self.parts = try parts.map(Self.part)
        for part in self.parts {
            if let fileName = part.fileName {
                if files[part.name] == nil { files[part.name] = File(fileName: fileName, contentType: part.contentType, data: part.data) }
            } else if fields[part.name] == nil {
                fields[part.name] = part.text
            }
        }
    }

    /// `body` checked and made ready for multipart-kit's parser, which needs its caller to check what it lets pass:
    /// the first delimiter on a line of its own (a preamble before it is dropped), the closing delimiter (an epilogue
    /// after it is dropped), at most `maxParts` parts with headers of at most `maxHeaderBytes`. Where browsers differ
    /// the parser is strict, so the line breaks of a part's header lines, LF alone at times, are written CRLF, and
    /// blanks after a delimiter are dropped. The contents are copied as they are.
    static func framed(_ bytes: [UInt8], boundary: String) throws -> [UInt8] {
        let delimiter = Array("--\(boundary)".utf8)
        // Each delimiter after the first is preceded by CRLF (taken as part of it).
        let separator = Array("\r\n--\(boundary)".utf8)
        let lineBreak: [UInt8] = [0x0D, 0x0A]
        guard var start = find(delimiter, in: bytes, from: 0) else {
            throw ReadError(message: "the multipart body has no boundary line")
        }
        guard start == 0 || bytes[start - 1] == 0x0A else {
            throw ReadError(message: "the multipart body's first boundary is not on a line of its own")
        }
        var framed: [UInt8] = []
        framed.reserveCapacity(bytes.count - start + 1024)
        var count = 0
        while true {
            framed += delimiter
            var position = start + delimiter.count
            // After a delimiter: `--` closes the body; otherwise optional whitespace and a line break open a part.
            if bytes[position...].starts(with: [0x2D, 0x2D]) { return framed + [0x2D, 0x2D] }
            while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
            if bytes[position...].starts(with: lineBreak) {
                position += 2
            } else if bytes[position...].first == 0x0A {
                position += 1
            } else {
                throw ReadError(message: "the multipart body has a malformed boundary line")
            }
            framed += lineBreak
            count += 1
            guard count <= maxParts else { throw ReadError(message: "the multipart body has more than \(maxParts) parts") }
            // The header lines, until an empty line.
            let headersStart = position
            while true {
                guard let lineEnd = bytes[position...].firstIndex(of: 0x0A) else {
                    throw ReadError(message: "the multipart body ends inside a part's headers")
                }
                guard lineEnd - headersStart <= maxHeaderBytes else { throw ReadError(message: "a multipart part's headers are too long") }
                let line = bytes[position..<lineEnd]
                let text = line.last == 0x0D ? line.dropLast() : line
                framed += text
                framed += lineBreak
                position = lineEnd + 1
                if text.isEmpty { break }
            }
            guard let next = find(separator, in: bytes, from: position) else {
                throw ReadError(message: "the multipart body ends without its closing boundary")
            }
            framed += bytes[position..<next]
            framed += lineBreak
            start = next + lineBreak.count
        }
    }

    private static func part(_ part: MultipartPart) throws -> Part {
        guard let disposition = part.headers.first(name: "Content-Disposition") else {
            throw ReadError(message: "a multipart part has no Content-Disposition")
        }
        let kind = disposition.prefix { $0 != ";" }
        let parameters = Self.parameters(String(disposition.dropFirst(kind.count)))
        guard kind.trimmingCharacters(in: .whitespaces).lowercased() == "form-data", let name = parameters["name"] else {
            throw ReadError(message: "a multipart part is not form-data with a name")
        }
        var fileName = parameters["filename"].map(Self.browserFileName)
        if let extended = parameters["filename*"], let decoded = Self.extendedValue(extended) { fileName = decoded }
        return Part(name: name, fileName: fileName, contentType: part.headers.first(name: "Content-Type"),
                    data: Data(part.body.readableBytesView))
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

    /// Where `needle` first occurs in `haystack` at or after `start` (a plain loop: the standard library's generic
    /// `firstRange(of:)` takes seconds on a body of 32 MB).
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
