import Foundation
import Testing
@testable import YunqiaoTesting

@testable import YunqiaoServer
@testable import YunqiaoServices
import YunqiaoCore

/// `multipart/form-data` bodies as browsers send a form with a file.
@Suite
struct MultipartFormTests {
    static let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    static let contentType = "multipart/form-data; boundary=\(boundary)"

    /// A body of text fields and files, as Chromium writes it.
    static func body(fields: [(String, String)], files: [(name: String, fileName: String, type: String, data: Data)] = [],
                     boundary: String = boundary) -> Data
    {
        var data = Data()
        for (name, value) in fields {
            data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        for file in files {
            data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.fileName)\"\r\n".utf8))
            data.append(Data("Content-Type: \(file.type)\r\n\r\n".utf8))
            data.append(file.data)
            data.append(Data("\r\n".utf8))
        }
        data.append(Data("--\(boundary)--\r\n".utf8))
        return data
    }

    @Test func fieldsAndFiles() throws {
        let csv = Data("oa_id,name\r\nD1,总部\r\n".utf8)
        let binary = Data([0x50, 0x4B, 0x03, 0x04, 0x0D, 0x0A, 0x2D, 0x2D, 0x00, 0xFF])
        let body = Self.body(fields: [("_csrf", "token-1"), ("sheet", "users"), ("note", "多行\r\n文本")],
                             files: [("file", "部门.csv", "text/csv", csv), ("other", "a.xlsx", "application/octet-stream", binary)])
        let form = try MultipartForm(contentType: Self.contentType, body: body)
        #expect(form["_csrf"] == "token-1")
        #expect(form["sheet"] == "users")
        #expect(form["note"] == "多行\r\n文本")
        #expect(form.files["file"] == MultipartForm.File(fileName: "部门.csv", contentType: "text/csv", data: csv))
        #expect(form.files["other"]?.data == binary)
        #expect(form["file"] == nil)
    }

    @Test func noFileChosenQuotedNamesAndPaths() throws {
        var body = Data("preamble to ignore\r\n".utf8)
        body.append(Data("--\(Self.boundary)\r\ncontent-disposition: form-data; name=\"file\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n".utf8))
        body.append(Data("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"path\"; filename=\"C:\\\\fakepath\\\\a%22b.csv\"\r\n\r\nx\r\n".utf8))
        body.append(Data("--\(Self.boundary)--".utf8))
        let form = try MultipartForm(contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"\(Self.boundary)\"", body: body)
        #expect(form.files["file"] == MultipartForm.File(fileName: "", contentType: "application/octet-stream", data: Data()))
        #expect(form.files["path"]?.fileName == "a\"b.csv")
    }

    @Test func refusesWhatIsNotAMultipartForm() {
        #expect(throws: MultipartForm.ReadError.self) { try MultipartForm(contentType: "application/x-www-form-urlencoded", body: Data("a=1".utf8)) }
        #expect(throws: MultipartForm.ReadError.self) { try MultipartForm(contentType: "multipart/form-data", body: Data()) }
        #expect(throws: MultipartForm.ReadError.self) { try MultipartForm(contentType: nil, body: Data()) }
        #expect(throws: MultipartForm.ReadError.self) { try MultipartForm(contentType: Self.contentType, body: Data("no parts".utf8)) }
        // Cut short: no closing delimiter after the part.
        let cut = Data("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue".utf8)
        #expect(throws: MultipartForm.ReadError.self) { try MultipartForm(contentType: Self.contentType, body: cut) }
        // A part without a name.
        let nameless = Data("--\(Self.boundary)\r\nContent-Type: text/plain\r\n\r\nvalue\r\n--\(Self.boundary)--".utf8)
        #expect(throws: MultipartForm.ReadError.self) { try MultipartForm(contentType: Self.contentType, body: nameless) }
    }

    @Test func boundaryAndParameters() {
        #expect(MultipartForm.boundary(of: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartForm.boundary(of: "multipart/form-data; boundary=\"a b\"") == "a b")
        #expect(MultipartForm.boundary(of: "text/plain; boundary=abc") == nil)
        #expect(MultipartForm.boundary(of: "multipart/form-data; boundary=" + String(repeating: "x", count: 71)) == nil)
        #expect(MultipartForm.parameters(#" name="a;b"; filename="x\"y.csv"; size=3"#) == ["name": "a;b", "filename": "x\"y.csv", "size": "3"])
        #expect(MultipartForm.isMultipart("multipart/form-data; boundary=x") && !MultipartForm.isMultipart("text/csv"))
    }
}
