import CSV
import Foundation
import ZIPFoundation
#if canImport(FoundationXML)
import FoundationXML
import YunqiaoCore
#endif

/// Splits an uploaded spreadsheet into rows of cells: CSV (UTF-8 with or without BOM, RFC 4180 quoting; GB 18030 — what
/// Excel's plain "CSV" writes on Chinese Windows — when the bytes are not UTF-8) or XLSX
/// (the first worksheet; shared and inline strings; numbers as their stored text).
public enum SpreadsheetReader {
    public enum Format: String, Sendable, CaseIterable {
        case csv, xlsx

        /// From a `format` value, a content type or a file name; nil when none says.
        public init?(format: String? = nil, contentType: String? = nil, fileName: String? = nil) {
            if let format = format?.lowercased(), let value = Format(rawValue: format) {
                self = value
                return
            }
            let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            switch type {
            case "text/csv", "application/csv", "text/comma-separated-values": self = .csv; return
            case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": self = .xlsx; return
            default: break
            }
            let name = fileName?.lowercased() ?? ""
            if name.hasSuffix(".csv") { self = .csv } else if name.hasSuffix(".xlsx") { self = .xlsx } else { return nil }
        }
    }

    public struct ReadError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: LocalizedText
        public var description: String { message.description }
    }

    public static func rows(_ data: Data, format: Format) throws -> [[String]] {
        switch format {
        case .csv: try csv(data)
        case .xlsx: try xlsx(data)
        }
    }

    // MARK: CSV

    /// GB 18030, a superset of GBK and GB 2312 (`kCFStringEncodingGB_18030_2000` as a Foundation encoding).
    static let gb18030 = String.Encoding(rawValue: 0x8000_0632)

    public static func csv(_ data: Data) throws -> [[String]] {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let text = String(data: bytes, encoding: .utf8) ?? String(data: bytes, encoding: gb18030) else {
            throw ReadError(message: "the CSV file is neither UTF-8 nor GB 18030 (GBK) text")
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: false)
        } catch {
            throw ReadError(message: "the CSV file could not be read: \(error)")
        }
        var rows: [[String]] = []
        while let row = reader.next() { rows.append(row) }
        if let error = reader.error { throw ReadError(message: "the CSV file could not be read: \(error)") }
        return rows
    }

    // MARK: XLSX

    public static func xlsx(_ data: Data) throws -> [[String]] {
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw ReadError(message: "the XLSX file is not a ZIP archive")
        }
        func file(_ path: String) throws -> Data? {
            guard let entry = archive[path] else { return nil }
            var out = Data()
            _ = try archive.extract(entry, skipCRC32: false) { out.append($0) }
            return out
        }
        let shared = try file("xl/sharedStrings.xml").map(parseSharedStrings) ?? []
        let sheetPath = try firstSheetPath(workbook: file("xl/workbook.xml"), rels: file("xl/_rels/workbook.xml.rels"))
        guard let sheet = try file(sheetPath) ?? file("xl/worksheets/sheet1.xml") else {
            throw ReadError(message: "the XLSX file has no worksheet")
        }
        return try parseSheet(sheet, shared: shared)
    }

    /// The first `<sheet>` of the workbook through its relationship, or `xl/worksheets/sheet1.xml`.
    static func firstSheetPath(workbook: Data?, rels: Data?) throws -> String {
        let fallback = "xl/worksheets/sheet1.xml"
        guard let workbook, let rels else { return fallback }
        let sheets = try XMLElements.collect(workbook, names: ["sheet"])
        guard let id = sheets.first?.attributes.first(where: { $0.key == "r:id" || $0.key.hasSuffix(":id") })?.value else { return fallback }
        let relationships = try XMLElements.collect(rels, names: ["Relationship"])
        guard let target = relationships.first(where: { $0.attributes["Id"] == id })?.attributes["Target"] else { return fallback }
        if target.hasPrefix("/") { return String(target.dropFirst()) }
        return "xl/" + target
    }

    static func parseSharedStrings(_ data: Data) throws -> [String] {
        let handler = SharedStringsHandler()
        try XMLElements.parse(data, handler)
        return handler.strings
    }

    static func parseSheet(_ data: Data, shared: [String]) throws -> [[String]] {
        let handler = SheetHandler(shared: shared)
        try XMLElements.parse(data, handler)
        if let error = handler.error { throw ReadError(message: error) }
        let rows = handler.rows.keys.max() ?? 0
        return (0..<rows).map { index in
            guard let cells = handler.rows[index + 1], let width = cells.keys.max() else { return [] }
            return (0...width).map { cells[$0] ?? "" }
        }
    }

    /// An A1 reference: `"BC12"` → (column 54, 0-based; row 12, 1-based).
    static func reference(_ text: String) -> (column: Int, row: Int)? {
        var column = 0, digits = ""
        for character in text {
            if let ascii = character.asciiValue, character.isLetter, digits.isEmpty {
                column = column * 26 + Int(ascii & ~0x20) - 64
            } else if character.isNumber, character.isASCII {
                digits.append(character)
            } else {
                return nil
            }
        }
        guard column > 0, let row = Int(digits), row > 0 else { return nil }
        return (column - 1, row)
    }
}

// MARK: XML

private enum XMLElements {
    struct Element {
        var name: String
        var attributes: [String: String]
    }

    static func parse(_ data: Data, _ delegate: some XMLParserDelegate) throws {
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else {
            throw SpreadsheetReader.ReadError(message: "the XLSX file has broken XML: \(parser.parserError.map { "\($0)" } ?? "unknown error")")
        }
    }

    static func collect(_ data: Data, names: Set<String>) throws -> [Element] {
        let handler = Collector(names: names)
        try parse(data, handler)
        return handler.elements
    }

    final class Collector: NSObject, XMLParserDelegate {
        let names: Set<String>
        var elements: [Element] = []
        init(names: Set<String>) { self.names = names }

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                    attributes attributeDict: [String: String] = [:])
        {
            if names.contains(localName(elementName)) { elements.append(Element(name: elementName, attributes: attributeDict)) }
        }
    }
}

private func localName(_ name: String) -> String {
    name.split(separator: ":").last.map(String.init) ?? name
}

/// `<si>` items: the text of their `<t>` elements (rich text runs joined; phonetic `<rPh>` runs left out).
private final class SharedStringsHandler: NSObject, XMLParserDelegate {
    var strings: [String] = []
    private var current: String?
    private var inText = false
    private var phonetic = 0

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                attributes attributeDict: [String: String] = [:])
    {
        switch localName(elementName) {
        case "si": current = ""
        case "rPh": phonetic += 1
        case "t": inText = phonetic == 0
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        switch localName(elementName) {
        case "si": strings.append(current ?? ""); current = nil
        case "rPh": phonetic -= 1
        case "t": inText = false
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText, current != nil { current? += string }
    }
}

/// `<c r="B3" t="s|inlineStr|str|b|n|e"><v>…</v><is><t>…</t></is></c>` → rows[3][1].
private final class SheetHandler: NSObject, XMLParserDelegate {
    let shared: [String]
    /// Row number (1-based) → column index (0-based) → text.
    var rows: [Int: [Int: String]] = [:]
    var error: LocalizedText?
    private var rowNumber = 0
    private var nextColumn = 0
    private var cell: (column: Int, type: String?)?
    private var value = ""
    private var inValue = false

    init(shared: [String]) { self.shared = shared }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                attributes attributeDict: [String: String] = [:])
    {
        switch localName(elementName) {
        case "row":
            rowNumber = attributeDict["r"].flatMap { Int($0) } ?? rowNumber + 1
            nextColumn = 0
        case "c":
            let column = attributeDict["r"].flatMap(SpreadsheetReader.reference)?.column ?? nextColumn
            cell = (column, attributeDict["t"])
            nextColumn = column + 1
            value = ""
        case "v", "t":
            inValue = cell != nil
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        switch localName(elementName) {
        case "v", "t": inValue = false
        case "c":
            guard let cell else { return }
            var text = value
            if cell.type == "s" {
                if let index = Int(value.trimmingCharacters(in: .whitespaces)), shared.indices.contains(index) {
                    text = shared[index]
                } else {
                    error = error ?? "the XLSX file refers to a missing shared string \"\(value)\""
                    text = ""
                }
            } else if cell.type == "b" {
                text = value == "1" ? "TRUE" : "FALSE"
            }
            if !text.isEmpty { rows[rowNumber, default: [:]][cell.column] = text }
            self.cell = nil
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inValue { value += string }
    }
}
