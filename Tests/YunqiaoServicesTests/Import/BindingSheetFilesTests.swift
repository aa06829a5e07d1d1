import Foundation
import Testing
@testable import YunqiaoTesting
import ZIPFoundation
#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import YunqiaoServer
@testable import YunqiaoServices
import YunqiaoCore

/// The files of the association sheet: the spreadsheet writer (read back by the reader) and the multipart form parser
/// of the console's upload.
@Suite struct BindingSheetFilesTests {
    // MARK: CSV

    @Test func csvQuotesWhatNeedsItAndDisarmsFormulas() throws {
        typealias CSV = SpreadsheetWriter.CSV
        #expect(CSV.line(["a", "b c", ""]) == "a,b c,\r\n")
        #expect(CSV.field("Zhang, San") == "\"Zhang, San\"")
        #expect(CSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.field("two\nlines") == "\"two\nlines\"")
        #expect(CSV.field("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSV.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSV.field("-2+3") == "'-2+3")
        #expect(CSV.field("+86 138-0000-1008") == "+86 138-0000-1008")
        #expect(CSV.field("-") == "-")
        let text = CSV.byteOrderMark + CSV.line(["union_id", "姓名 (name)"]) + CSV.line(["on_1", "张, 三"]) + CSV.line(["on_2", ""])
        #expect(try SpreadsheetReader.csv(Data(text.utf8)) == [["union_id", "姓名 (name)"], ["on_1", "张, 三"], ["on_2", ""]])
    }

    // MARK: XLSX

    /// Excel's plain "CSV" on Chinese Windows writes GBK: read as GB 18030 when the bytes are not UTF-8.
    @Test func gbkCSVIsRead() throws {
        // "编号,名称\nD1,研发部\n" in GBK.
        let gbk: [UInt8] = [0xB1, 0xE0, 0xBA, 0xC5, 0x2C, 0xC3, 0xFB, 0xB3, 0xC6, 0x0A, 0x44, 0x31, 0x2C, 0xD1, 0xD0, 0xB7, 0xA2, 0xB2, 0xBF, 0x0A]
        #expect(try SpreadsheetReader.csv(Data(gbk)) == [["编号", "名称"], ["D1", "研发部"]])
        #expect(try SpreadsheetReader.csv(Data("编号,名称\n".utf8)) == [["编号", "名称"]])
    }

    @Test func xlsxRoundTripsThroughTheReader() throws {
        var sheet = SpreadsheetWriter.XLSX(sheetName: "关联导入/测试", columns: [.init(width: 20), .init(width: 12), .init(width: 20, text: true, highlighted: true)])
        sheet.appendHeader(["union_id", "姓名 (name)", "OA 关联值 (oa_value)"])
        sheet.append(["on_1", "A & B <c> \"d\"", ""])
        sheet.append(["on_2", "  spaced  ", "00123"])
        sheet.append(["on_3", "bell\u{07}tab\tend", "x"])
        sheet.append([])
        sheet.append(["on_5"])
        #expect(sheet.count == 6)
        let data = try sheet.data()
        let rows = try SpreadsheetReader.xlsx(data)
        #expect(rows == [
            ["union_id", "姓名 (name)", "OA 关联值 (oa_value)"], ["on_1", "A & B <c> \"d\""], ["on_2", "  spaced  ", "00123"],
            ["on_3", "belltab\tend", "x"], [], ["on_5"],
        ])

        // The package parts a spreadsheet program looks for, each well-formed XML.
        let archive = try Archive(data: data, accessMode: .read)
        let paths = Set(archive.map(\.path))
        #expect(paths == ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                          "xl/worksheets/sheet1.xml"])
        for entry in archive {
            var bytes = Data()
            _ = try archive.extract(entry) { bytes.append($0) }
            #expect(XMLParser(data: bytes).parse(), "\(entry.path)")
            if entry.path == "xl/workbook.xml" { #expect(String(decoding: bytes, as: UTF8.self).contains("name=\"关联导入_测试\"")) }
            if entry.path == "xl/worksheets/sheet1.xml" {
                let xml = String(decoding: bytes, as: UTF8.self)
                #expect(xml.contains("<pane ySplit=\"1\""))
                #expect(xml.contains("<c r=\"C2\" s=\"4\"/>"))  // the empty cell to fill is text-formatted
                #expect(xml.contains("<t xml:space=\"preserve\">  spaced  </t>"))
                #expect(xml.contains("<dimension ref=\"A1:C6\"/>"))
            }
        }
    }

    @Test func xlsxColumnNames() throws {
        #expect([0, 25, 26, 27, 51, 52, 701, 702].map(SpreadsheetWriter.XLSX.columnName) == ["A", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"])
        var sheet = SpreadsheetWriter.XLSX()
        sheet.append((0..<30).map { "c\($0)" })
        let data = try sheet.data()
        #expect(try SpreadsheetReader.xlsx(data) == [(0..<30).map { "c\($0)" }])
    }

    // MARK: multipart

    static func body(_ parts: [(headers: String, content: Data)], boundary: String, preamble: String = "") -> Data {
        var data = Data(preamble.utf8)
        for part in parts {
            data.append(contentsOf: "--\(boundary)\r\n\(part.headers)\r\n\r\n".utf8)
            data.append(part.content)
            data.append(contentsOf: "\r\n".utf8)
        }
        data.append(contentsOf: "--\(boundary)--\r\n".utf8)
        return data
    }

    @Test func multipartAsBrowsersSendIt() throws {
        let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
        let file = Data([0x50, 0x4B, 0x03, 0x04, 0x0D, 0x0A, 0x2D, 0x2D, 0x00, 0xFF])  // binary, with CRLF-- inside
        let body = Self.body([
            ("Content-Disposition: form-data; name=\"_csrf\"", Data("token-1".utf8)),
            ("Content-Disposition: form-data; name=\"field\"", Data("mobile".utf8)),
            ("Content-Disposition: form-data; name=\"file\"; filename=\"关联 \\\"表\\\";1.xlsx\"\r\nContent-Type: application/vnd.ms-excel", file),
            ("Content-Disposition: form-data; name=\"note\"", Data("line one\r\nline two".utf8)),
            ("Content-Disposition: form-data; name=\"empty\"; filename=\"\"\r\nContent-Type: application/octet-stream", Data()),
        ], boundary: boundary)
        let form = try MultipartForm(contentType: "multipart/form-data; boundary=\(boundary)", body: body)
        #expect(form["_csrf"] == "token-1")
        #expect(form["field"] == "mobile")
        #expect(form["note"] == "line one\r\nline two")
        #expect(form["file"] == nil)
        #expect(form.files["file"] == .init(fileName: "关联 \"表\";1.xlsx", contentType: "application/vnd.ms-excel", data: file))
        #expect(form.files["empty"]?.fileName == "" && form.files["empty"]?.data.isEmpty == true)
        #expect(form.parts.map(\.name) == ["_csrf", "field", "file", "note", "empty"])
    }

    @Test func multipartBoundariesAndLeniency() throws {
        #expect(MultipartForm.boundary(of: "multipart/form-data; boundary=\"a b\"") == "a b")
        #expect(MultipartForm.boundary(of: "Multipart/Form-Data;charset=utf-8; BOUNDARY=xyz") == "xyz")
        #expect(MultipartForm.boundary(of: "multipart/form-data") == nil)
        #expect(MultipartForm.boundary(of: "application/x-www-form-urlencoded; boundary=x") == nil)
        #expect(MultipartForm.boundary(of: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
        #expect(MultipartForm.isMultipart("multipart/form-data; boundary=x") && !MultipartForm.isMultipart("text/csv") && !MultipartForm.isMultipart(nil))

        // A preamble, LF-only header lines, filename* (RFC 5987) and a repeated name (the first wins).
        var body = Data("preamble\r\n--b\ncontent-disposition: form-data; name=a; filename*=UTF-8''%E5%90%8D.csv\n\nx\r\n".utf8)
        body.append(contentsOf: "--b\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\none\r\n--b\r\nContent-Disposition: form-data; name=\"k\"\r\n\r\ntwo\r\n--b--".utf8)
        let form = try MultipartForm(contentType: "multipart/form-data; boundary=b", body: body)
        #expect(form.files["a"]?.fileName == "名.csv" && form.files["a"]?.data == Data("x".utf8))
        #expect(form["k"] == "one")
    }

    @Test(arguments: [
        "no boundary at all",
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever closed",
        "--b\r\nContent-Disposition: form-data; name=\"a\"",
        "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--",
        "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--",
        "--b\r\nno colon here\r\n\r\nx\r\n--b--",
        "--bx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--",
        "junk--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--",
    ])
    func malformedMultipartIsRefused(_ text: String) {
        #expect(throws: MultipartForm.ReadError.self) { try MultipartForm(contentType: "multipart/form-data; boundary=b", body: Data(text.utf8)) }
    }

    @Test func tooManyPartsAreRefused() {
        let parts = (0...MultipartForm.maxParts).map { ("Content-Disposition: form-data; name=\"f\($0)\"", Data("v".utf8)) }
        #expect(throws: MultipartForm.ReadError.self) {
            try MultipartForm(contentType: "multipart/form-data; boundary=b", body: Self.body(parts.map { (headers: $0.0, content: $0.1) }, boundary: "b"))
        }
        #expect(throws: MultipartForm.ReadError.self) { try MultipartForm(contentType: "text/plain", body: Data()) }
    }
}
