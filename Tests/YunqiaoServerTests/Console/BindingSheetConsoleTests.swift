import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// The association sheet's console page: downloads, a multipart upload with its CSRF field, preview then apply, the
/// result after the redirect, refused input next to its field, zh and en.
@Suite(.timeLimit(.minutes(2)))
struct BindingSheetConsoleTests {
    /// The signed-in admin's cookie and CSRF token.
    struct Browser {
        let env: APIEnvironment
        let cookie: String
        let csrf: String

        init(_ env: APIEnvironment) async throws {
            self.env = env
            let session = try await env.session()
            guard case .session(let cookie, let csrf?) = session.credentials else { throw NotASession() }
            self.cookie = cookie
            self.csrf = csrf
        }

        struct NotASession: Error {}

        func send(_ method: HTTPRequest.Method, _ path: String, body: Data? = nil, contentType: String? = nil) async throws
            -> (answer: Answer, bytes: Data)
        {
            var headers: HTTPFields = [.cookie: "yq_session=\(cookie)", .accept: "text/html"]
            if let contentType { headers[.contentType] = contentType }
            let response = try await env.client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
            return (Answer(status: response.status, headers: response.headers, text: String(buffer: response.body)),
                    Data(response.body.readableBytesView))
        }

        func get(_ path: String) async throws -> Answer { try await send(.get, path).answer }

        /// The upload form as a browser posts it (the CSRF token in the body, not a header).
        func upload(_ enterprise: Int64, file: Data?, fileName: String = "关联导入.csv", field: String = "mobile", action: String,
                    csrf: String? = nil) async throws -> Answer
        {
            let boundary = "----geckoformboundary\(UUID().uuidString.prefix(8))"
            var body = Data()
            func part(_ headers: String, _ content: Data) {
                body.append(contentsOf: "--\(boundary)\r\n\(headers)\r\n\r\n".utf8)
                body.append(content)
                body.append(contentsOf: "\r\n".utf8)
            }
            part("Content-Disposition: form-data; name=\"_csrf\"", Data((csrf ?? self.csrf).utf8))
            part("Content-Disposition: form-data; name=\"file\"; filename=\"\(file == nil ? "" : fileName)\"\r\nContent-Type: "
                + (file == nil ? "application/octet-stream" : "text/csv"), file ?? Data())
            part("Content-Disposition: form-data; name=\"field\"", Data(field.utf8))
            part("Content-Disposition: form-data; name=\"action\"", Data(action.utf8))
            body.append(contentsOf: "--\(boundary)--\r\n".utf8)
            return try await send(.post, "/console/enterprises/\(enterprise)/binding-sheet", body: body,
                                  contentType: "multipart/form-data; boundary=\(boundary)").answer
        }
    }

    /// The value of the hidden `upload` field of the "import these" form.
    static func uploadToken(_ html: String) -> String? {
        guard let start = html.range(of: "name=\"upload\" value=\"") else { return nil }
        return String(html[start.upperBound...].prefix { $0 != "\"" })
    }

    @Test func downloadPreviewApplyAndSeeTheResult() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, users) = try await BindingSheetAPITests.setUp(env)
            let browser = try await Browser(env)

            let page = try await browser.get("/console/enterprises/\(enterprise)/binding-sheet")
            #expect(page.status == .ok)
            #expect(page.text.contains("关联导入") && page.text.contains("enctype=\"multipart/form-data\""))
            #expect(page.text.contains("<option value=\"mobile\" selected>手机号</option>"))
            #expect(!page.text.contains("id=\"bs-result\""))
            let english = try await browser.get("/console/enterprises/\(enterprise)/binding-sheet?lang=en")
            #expect(english.text.contains("Association sheet") && english.text.contains("Download CSV"))

            let (csvDownload, csvBytes) = try await browser.send(.get, "/console/enterprises/\(enterprise)/binding-sheet/download?format=csv")
            #expect(csvDownload.status == .ok && csvDownload.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            let exported = try SpreadsheetReader.csv(csvBytes)
            #expect(exported.count == users.count + 1)
            let (xlsxDownload, xlsxBytes) = try await browser.send(.get, "/console/enterprises/\(enterprise)/binding-sheet/download?format=xlsx")
            #expect(xlsxDownload.status == .ok && xlsxBytes.starts(with: [0x50, 0x4B]))

            // Fill two rows and preview: nothing is written, the rows are listed, "import these" is offered.
            let root1 = try #require(users["root1"]?.unionID), twin = try #require(users["mover"]?.unionID)
            let filled = BindingSheetAPITests.sheet([(root1, "+86 13900000001"), (twin, "13800000000"), (try #require(users["deep"]?.unionID), "")])
            let preview = try await browser.upload(enterprise, file: filled, action: "preview")
            #expect(preview.status == .ok, "\(preview)")
            #expect(preview.text.contains("id=\"bs-result\" data-dry-run=\"true\""))
            #expect(preview.text.contains("<tr data-line=\"2\" data-outcome=\"bound\">"))
            #expect(preview.text.contains("将绑定") && preview.text.contains("OA 用户 oa-root1 (根一)"))
            #expect(preview.text.contains("<tr data-line=\"3\" data-outcome=\"conflict\">"))
            #expect(preview.text.contains("多个 OA 用户具有此值：twin-a (双甲), twin-b (双乙)"))
            #expect(!preview.text.contains("data-line=\"4\""))  // skipped rows are counted, not listed
            #expect(try await BindingSheetAPITests.bindings(env, enterprise).isEmpty)
            let upload = try #require(Self.uploadToken(preview.text))

            // Apply what was previewed: 303 to the page with the result; the token is spent.
            let applied = try await browser.send(.post, "/console/enterprises/\(enterprise)/binding-sheet/apply",
                                                 body: Data(formBody([("_csrf", browser.csrf), ("upload", upload)]).utf8),
                                                 contentType: "application/x-www-form-urlencoded").answer
            #expect(applied.status == .seeOther, "\(applied)")
            let location = try #require(applied.headers[.location])
            #expect(location.hasPrefix("/console/enterprises/\(enterprise)/binding-sheet?result="))
            let result = try await browser.get(location)
            #expect(result.text.contains("id=\"bs-result\" data-dry-run=\"false\""))
            #expect(result.text.contains("导入结果") && result.text.contains("<span class=\"badge badge-ok\">已绑定</span>"))
            #expect(try await BindingSheetAPITests.bindings(env, enterprise).map(\.oaUserID) == ["1001"])
            let resultInEnglish = try await browser.get(location + "&lang=en")
            #expect(resultInEnglish.text.contains("Import result") && resultInEnglish.text.contains("to the OA user oa-root1 (根一)"))
            let again = try await browser.send(.post, "/console/enterprises/\(enterprise)/binding-sheet/apply",
                                               body: Data(formBody([("_csrf", browser.csrf), ("upload", upload)]).utf8),
                                               contentType: "application/x-www-form-urlencoded").answer
            #expect(again.status == .badRequest && again.text.contains("预览已过期或已导入"))
            #expect(try await browser.get("/console/enterprises/\(enterprise)/binding-sheet/apply").status == .seeOther)

            // "Import now" applies at once.
            let deep = try #require(users["deep"]?.unionID)
            let direct = try await browser.upload(enterprise, file: BindingSheetAPITests.sheet([(deep, "oa-deep")]), field: "loginID", action: "apply")
            #expect(direct.status == .seeOther)
            #expect(try await BindingSheetAPITests.bindings(env, enterprise).map(\.oaUserID).sorted() == ["1001", "1007"])
            let audit = try await env.api.get("audit?action=binding").items(AuditEntry.self)
            #expect(audit.filter { $0.action == "binding.import" }.count == 2 && audit.allSatisfy { $0.actor == "admin" })
        }
    }

    @Test func refusedUploadsShowTheFormAgainWithTheReason() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, users) = try await BindingSheetAPITests.setUp(env)
            let browser = try await Browser(env)
            let noFile = try await browser.upload(enterprise, file: nil, action: "preview")
            #expect(noFile.status == .badRequest)
            #expect(noFile.text.contains("<p class=\"field-error\" data-field=\"file\">请选择要上传的 CSV 或 XLSX 文件</p>"))
            let badHeader = try await browser.upload(enterprise, file: Data("union_id,手机\nx,1\n".utf8), action: "apply")
            #expect(badHeader.status == .badRequest)
            #expect(badHeader.text.contains("缺少列 OA 关联值 (oa_value)"))
            let badField = try await browser.upload(enterprise, file: BindingSheetAPITests.sheet([("x", "1")]), field: "phone", action: "apply")
            #expect(badField.status == .badRequest && badField.text.contains("data-field=\"field\""))
            // The CSRF token in the multipart body is checked like a header.
            let forged = try await browser.upload(enterprise, file: BindingSheetAPITests.sheet([(try #require(users["root1"]?.unionID), "13900000001")]),
                                                  action: "apply", csrf: "forged")
            #expect(forged.status == .forbidden)
            #expect(try await BindingSheetAPITests.bindings(env, enterprise).isEmpty)

            // Another tenant's admin: 404 on the page, the download and the upload.
            let bob = try await env.session(username: "bob")
            #expect(try await bob.get("/console/enterprises/\(enterprise)/binding-sheet").status == .notFound)
            #expect(try await bob.get("/console/enterprises/\(enterprise)/binding-sheet/download?format=csv").status == .notFound)
        }
    }
}
