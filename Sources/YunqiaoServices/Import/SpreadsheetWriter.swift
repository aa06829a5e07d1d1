import Foundation
import ZIPFoundation
import YunqiaoCore

/// Writes the spreadsheets the bridge hands out, readable back by ``SpreadsheetReader``: CSV for Excel (UTF-8 with a
/// BOM, so Excel does not read it as the local code page; CRLF; RFC 4180 quoting) and a minimal XLSX workbook (one
/// worksheet of inline strings, a style sheet for a bold header, a highlighted column and text-formatted cells).
public enum SpreadsheetWriter {
    public static let csvContentType = "text/csv; charset=utf-8"
    public static let xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    // MARK: CSV

    public enum CSV {
        /// The UTF-8 byte order mark, first in the file.
        public static let byteOrderMark = "\u{FEFF}"

        /// One record with its CRLF.
        public static func line(_ cells: [String]) -> String {
            cells.map(field).joined(separator: ",") + "\r\n"
        }

        /// A cell, quoted when it holds a comma, a quote or a line break (quotes doubled). A cell that a spreadsheet
        /// would run as a formula (`=…`, `@…`, `+`/`-` not followed by a phone number's characters) gets a leading `'`
        /// (CSV injection); phone numbers such as `+86 138-0000-1008` stay as they are.
        public static func field(_ text: String) -> String {
            var text = text
            if Self.isFormula(text) { text = "'" + text }
            // `,` `"` CR LF
            guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0D || $0 == 0x0A }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }

        static func isFormula(_ text: String) -> Bool {
            switch text.utf8.first {
            case UInt8(ascii: "="), UInt8(ascii: "@"), 0x09, 0x0D: return true
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                // Digits and a phone number's separators only: a number, not a formula.
                return !text.utf8.dropFirst().allSatisfy { (0x30...0x39).contains($0) || " -().".utf8.contains($0) }
            default: return false
            }
        }
    }

    // MARK: XLSX

    /// An XLSX workbook of one worksheet, built row by row. The worksheet's XML is kept in memory (in chunks) until
    /// ``data()`` zips the package (deflate): about half a kilobyte per row of nine short cells, 55 MB for 100 000 users,
    /// plus the zipped file (about a tenth of that).
    public struct XLSX {
        public struct Column: Sendable {
            /// In characters, as Excel counts them.
            public var width: Double
            /// Cells formatted as text (`@`): what the admin types stays text — leading zeros, long numbers.
            public var text: Bool
            /// A pale yellow background, for the column to fill in.
            public var highlighted: Bool

            public init(width: Double, text: Bool = false, highlighted: Bool = false) {
                self.width = width
                self.text = text
                self.highlighted = highlighted
            }
        }

        /// Cell formats (`cellXfs`) of the style sheet.
        enum Style: Int {
            case plain = 0, header = 1, text = 2, highlightedHeader = 3, highlightedText = 4
        }

        public let sheetName: String
        public let columns: [Column]
        /// The worksheet's `<row>` elements, in chunks of about a megabyte (no large buffer to copy as it grows).
        private var rows: [Data] = []
        private var rowCount = 0
        private let letters: [String]

        /// - Parameters:
        ///   - sheetName: at most 31 characters, none of `[]:*?/\` (replaced by `_`).
        public init(sheetName: String = "Sheet1", columns: [Column] = []) {
            let cleaned = String(sheetName.map { "[]:*?/\\".contains($0) ? "_" : $0 }.prefix(31))
            self.sheetName = cleaned.isEmpty ? "Sheet1" : cleaned
            self.columns = columns
            letters = (0..<max(columns.count, 26)).map(Self.columnName)
        }

        /// The rows written so far.
        public var count: Int { rowCount }

        /// A bold header row (highlighted where the column is); the sheet keeps it in view while scrolling.
        public mutating func appendHeader(_ cells: [String]) {
            append(cells, header: true)
        }

        /// A row of text cells; empty cells of text columns are written (empty) so that what is typed there stays text.
        public mutating func append(_ cells: [String]) {
            append(cells, header: false)
        }

        private func style(column: Int, header: Bool) -> Style {
            let format = columns.indices.contains(column) ? columns[column] : Column(width: 0)
            if header { return format.highlighted ? .highlightedHeader : .header }
            guard format.text else { return .plain }
            return format.highlighted ? .highlightedText : .text
        }

        private mutating func append(_ cells: [String], header: Bool) {
            rowCount += 1
            let number = String(rowCount)
            var xml = "<row r=\"\(number)\">"
            for index in 0..<max(cells.count, columns.count) {
                let text = cells.indices.contains(index) ? Self.xmlText(cells[index]) : ""
                let cellStyle = style(column: index, header: header)
                guard !text.isEmpty || cellStyle != .plain else { continue }
                let reference = (index < letters.count ? letters[index] : Self.columnName(index)) + number
                let styleAttribute = cellStyle == .plain ? "" : " s=\"\(cellStyle.rawValue)\""
                if text.isEmpty {
                    xml += "<c r=\"\(reference)\"\(styleAttribute)/>"
                } else {
                    let space = text.first?.isWhitespace == true || text.last?.isWhitespace == true ? " xml:space=\"preserve\"" : ""
                    xml += "<c r=\"\(reference)\"\(styleAttribute) t=\"inlineStr\"><is><t\(space)>\(text)</t></is></c>"
                }
            }
            xml += "</row>"
            if rows.isEmpty || (rows.last?.count ?? 0) >= Self.chunkSize { rows.append(Data(capacity: Self.chunkSize + 4096)) }
            rows[rows.count - 1].append(contentsOf: xml.utf8)
        }

        /// The workbook: `[Content_Types].xml`, the package and workbook relationships, `xl/workbook.xml`,
        /// `xl/styles.xml` and `xl/worksheets/sheet1.xml`.
        public func data() throws -> Data {
            let archive = try Archive(accessMode: .create)
            for (path, text) in packageParts() {
                try Self.add([Data(text.utf8)], path: path, to: archive)
            }
            try Self.add(worksheet(), path: "xl/worksheets/sheet1.xml", to: archive)
            guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
            return data
        }

        static let chunkSize = 1 << 20

        /// Adds a file made of `chunks` (read in order, never joined), deflated.
        private static func add(_ chunks: [Data], path: String, to archive: Archive) throws {
            var starts: [Int] = []
            var total = 0
            for chunk in chunks {
                starts.append(total)
                total += chunk.count
            }
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(total), compressionMethod: .deflate) { position, size in
                var out = Data(capacity: size)
                var offset = Int(position)
                // The last chunk starting at or before `offset`.
                var index = max(0, (starts.lastIndex { $0 <= offset }) ?? 0)
                while out.count < size, index < chunks.count {
                    let chunk = chunks[index]
                    let from = offset - starts[index]
                    let count = min(size - out.count, chunk.count - from)
                    if count > 0 {
                        out.append(chunk[(chunk.startIndex + from)..<(chunk.startIndex + from + count)])
                        offset += count
                    }
                    index += 1
                }
                return out
            }
        }

        /// The worksheet's XML: its opening part, the rows' chunks and its end.
        private func worksheet() -> [Data] {
            var xml = Self.declaration + "<worksheet xmlns=\"\(Self.main)\" xmlns:r=\"\(Self.officeRelationships)\">"
            if rowCount > 0 {
                xml += "<dimension ref=\"A1:\(Self.columnName(max(columns.count, 1) - 1))\(rowCount)\"/>"
            }
            xml += "<sheetViews><sheetView workbookViewId=\"0\">"
            xml += "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>"
            xml += "<selection pane=\"bottomLeft\" activeCell=\"A2\" sqref=\"A2\"/></sheetView></sheetViews>"
            xml += "<sheetFormatPr defaultRowHeight=\"15\"/>"
            if !columns.isEmpty {
                xml += "<cols>"
                for (index, column) in columns.enumerated() {
                    let style = column.text ? " style=\"\((column.highlighted ? Style.highlightedText : .text).rawValue)\"" : ""
                    xml += "<col min=\"\(index + 1)\" max=\"\(index + 1)\" width=\"\(column.width)\"\(style) customWidth=\"1\"/>"
                }
                xml += "</cols>"
            }
            xml += "<sheetData>"
            return [Data(xml.utf8)] + rows + [Data("</sheetData></worksheet>".utf8)]
        }

        private func packageParts() -> [(String, String)] {
            let contentTypes = """
                \(Self.declaration)<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
                <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
                <Default Extension="xml" ContentType="application/xml"/>\
                <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
                <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
                <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
                </Types>
                """
            let packageRelationships = """
                \(Self.declaration)<Relationships xmlns="\(Self.packageRelationships)">\
                <Relationship Id="rId1" Type="\(Self.officeRelationships)/officeDocument" Target="xl/workbook.xml"/>\
                </Relationships>
                """
            let workbook = """
                \(Self.declaration)<workbook xmlns="\(Self.main)" xmlns:r="\(Self.officeRelationships)">\
                <bookViews><workbookView/></bookViews>\
                <sheets><sheet name="\(Self.xmlText(sheetName))" sheetId="1" r:id="rId1"/></sheets></workbook>
                """
            let workbookRelationships = """
                \(Self.declaration)<Relationships xmlns="\(Self.packageRelationships)">\
                <Relationship Id="rId1" Type="\(Self.officeRelationships)/worksheet" Target="worksheets/sheet1.xml"/>\
                <Relationship Id="rId2" Type="\(Self.officeRelationships)/styles" Target="styles.xml"/>\
                </Relationships>
                """
            // numFmtId 49 is the built-in text format "@".
            let styles = """
                \(Self.declaration)<styleSheet xmlns="\(Self.main)">\
                <fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
                <font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
                <fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>\
                <fill><patternFill patternType="solid"><fgColor rgb="FFFFF2CC"/><bgColor indexed="64"/></patternFill></fill></fills>\
                <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
                <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
                <cellXfs count="5">\
                <xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
                <xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
                <xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
                <xf numFmtId="49" fontId="1" fillId="2" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1" applyFill="1"/>\
                <xf numFmtId="49" fontId="0" fillId="2" borderId="0" xfId="0" applyNumberFormat="1" applyFill="1"/>\
                </cellXfs>\
                <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
                </styleSheet>
                """
            return [("[Content_Types].xml", contentTypes), ("_rels/.rels", packageRelationships), ("xl/workbook.xml", workbook),
                    ("xl/_rels/workbook.xml.rels", workbookRelationships), ("xl/styles.xml", styles)]
        }

        static let declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
        static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        static let officeRelationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        static let packageRelationships = "http://schemas.openxmlformats.org/package/2006/relationships"

        /// `0` → `A`, `25` → `Z`, `26` → `AA`.
        static func columnName(_ index: Int) -> String {
            var name = ""
            var number = index + 1
            while number > 0 {
                let remainder = (number - 1) % 26
                name = String(UnicodeScalar(UInt8(65 + remainder))) + name
                number = (number - 1) / 26
            }
            return name
        }

        /// Text for an XML text node or attribute: `&`, `<`, `>` and `"` escaped; characters XML 1.0 forbids (control
        /// characters other than tab and line breaks) left out; at most the 32 767 characters a cell holds.
        static func xmlText(_ text: String) -> String {
            var out = ""
            out.reserveCapacity(text.utf8.count)
            var count = 0
            for scalar in text.unicodeScalars {
                if count == 32_767 { break }
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
                default:
                    guard scalar.value >= 0x20, scalar.value != 0xFFFE, scalar.value != 0xFFFF else { continue }
                    out.unicodeScalars.append(scalar)
                }
                count += 1
            }
            return out
        }
    }
}
