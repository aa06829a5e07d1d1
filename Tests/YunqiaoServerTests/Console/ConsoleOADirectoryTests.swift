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

/// The console's OA directory pages (/console/oa): counts, import upload, tree, users, a user's detail with the
/// password form, OA keys; and the password API.
@Suite(.timeLimit(.minutes(2)))
struct ConsoleOADirectoryTests {
    /// A signed-in browser on the console: the session cookie and the page's CSRF token, posting forms as browsers do.
    struct Browser {
        let client: any TestClientProtocol
        let cookie: String
        let csrf: String

        static func signIn(_ env: APIEnvironment, username: String = "admin") async throws -> Browser {
            let answer = try await env.login(username: username, password: APIEnvironment.password)
            #expect(answer.status == .seeOther)
            let cookie = try #require(answer.cookie("yq_session"))
            let stored = try #require(try await env.database.admins.persistedValue(key: "hbs." + cookie))
            let session = try JSONDecoder().decode(AdminSession.self, from: stored.value)
            return Browser(client: env.client, cookie: cookie, csrf: session.csrfToken)
        }

        func get(_ path: String) async throws -> Answer {
            try await send(.get, path, headers: [.accept: "text/html"], body: nil)
        }

        /// A form post (`application/x-www-form-urlencoded`) with the CSRF field unless `csrf` is false.
        func post(_ path: String, _ fields: [(String, String)] = [], csrf: Bool = true) async throws -> Answer {
            let all = csrf ? [("_csrf", self.csrf)] + fields : fields
            return try await send(.post, path, headers: [.accept: "text/html", .contentType: "application/x-www-form-urlencoded"],
                                  body: ByteBuffer(string: formBody(all)))
        }

        /// A form with a file (`multipart/form-data`), as the import form sends it.
        func upload(_ path: String, fields: [(String, String)], file: (name: String, type: String, data: Data)?, csrf: String? = nil)
            async throws -> Answer
        {
            let body = MultipartFormTests.body(fields: [("_csrf", csrf ?? self.csrf)] + fields,
                                               files: file.map { [("file", $0.name, $0.type, $0.data)] } ?? [])
            return try await send(.post, path, headers: [.accept: "text/html", .contentType: MultipartFormTests.contentType],
                                  body: ByteBuffer(bytes: body))
        }

        private func send(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields, body: ByteBuffer?) async throws -> Answer {
            var headers = headers
            headers[.cookie] = "yq_session=\(cookie)"
            let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
            return Answer(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    static let departmentsCSV = "\u{FEFF}编号,部门名称,上级部门编号,分部,排序\nD1,总部,,S1,1\nD2,研发部,D1,S1,2\nD3,销售部,D1,,3\n"
    static let usersCSV = """
        oa_id,login_id,name,mobile,email,employee_no,department_oa_id,part_time_department_oa_ids,status
        1001,zhangsan,张三,13800138000,zs@example.com,E1001,D2,D3,
        1002,lisi,李四,,,E1002,D3,,
        1003,wangwu,王五,,,,D1,,离职
        """

    /// The directory of the CSVs above, imported through the API.
    static func seed(_ env: APIEnvironment) async throws {
        #expect(try await OADirectoryImportTests.upload(env, "departments", Data(departmentsCSV.utf8), contentType: "text/csv").status == .ok)
        #expect(try await OADirectoryImportTests.upload(env, "users", Data(usersCSV.utf8), contentType: "text/csv").status == .ok)
    }

    @Test func pageShowsCountsTreeAndUsers() async throws {
        try await APIEnvironment.with { env in
            try await Self.seed(env)
            let browser = try await Browser.signIn(env)
            let page = try await browser.get("/console/oa")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"id="nav-oa" class="current""#))
            #expect(page.text.contains(#"<dd id="count-subcompanies">1</dd>"#))
            #expect(page.text.contains(#"<dd id="count-departments">3</dd>"#))
            #expect(page.text.contains(#"<dd id="count-active">2</dd>"#))
            #expect(page.text.contains(#"<dd id="count-left">1</dd>"#))
            #expect(!page.text.contains(#"<dd id="last-change"><span class="muted">"#))
            // The tree: 总部 on top with its two departments under it.
            let tree = try #require(page.text.range(of: #"<ul id="oa-department-tree""#).map { String(page.text[$0.lowerBound...]) })
            let top = try #require(tree.range(of: "总部")), child = try #require(tree.range(of: "研发部"))
            #expect(top.lowerBound < child.lowerBound)
            #expect(tree.contains(#"data-oa-department="D3""#))
            for name in ["张三", "李四", "王五"] { #expect(page.text.contains(name)) }
            #expect(page.text.contains("/console/oa/connector"))
            #expect(page.text.contains("/console/oa/keys"))

            // Search and the department filter (part-time members count).
            let search = try await browser.get("/console/oa?q=zhang")
            #expect(search.text.contains("张三") && !search.text.contains("李四"))
            let sales = try await browser.get("/console/oa?department=D3")
            #expect(sales.text.contains("张三") && sales.text.contains("李四") && !sales.text.contains(">王五<"))
            #expect(sales.text.contains(#"<h2 id="oa-user-heading">销售部</h2>"#))

            // English.
            let english = try await browser.get("/console/oa?lang=en")
            #expect(english.text.contains("OA directory") && english.text.contains("Active users"))
        }
    }

    @Test func usersArePaged() async throws {
        try await APIEnvironment.with { env in
            try await Self.seed(env)
            var rows = "oa_id,login_id,name,department_oa_id\n"
            for index in 0..<60 { rows += "P\(String(format: "%03d", index)),p\(index),人员\(index),D1\n" }
            #expect(try await OADirectoryImportTests.upload(env, "users", Data(rows.utf8), contentType: "text/csv").status == .ok)
            let browser = try await Browser.signIn(env)
            // Short pages (20 rows), numbered, with first / previous / next / last and a page size.
            let first = try await browser.get("/console/oa")
            #expect(first.text.contains("共 63 · 1–20"))
            #expect(first.text.contains(#"href="/console/oa?offset=20" id="oa-page-next""#))
            #expect(first.text.contains(#"href="/console/oa?offset=60" id="oa-page-last""#))
            #expect(first.text.contains(#"<strong class="current" aria-current="page" data-page="1">1</strong>"#))
            for page in 2...4 { #expect(first.text.contains(#"data-page="\#(page)">\#(page)</a>"#)) }
            #expect(!first.text.contains(#"id="oa-page-prev""#) && !first.text.contains(#"id="oa-page-first""#))
            #expect(first.text.contains(#"<a href="/console/oa?size=50" data-size="50">50</a>"#))
            let last = try await browser.get("/console/oa?offset=60")
            #expect(last.text.contains("共 63 · 61–63"))
            #expect(last.text.contains(#"href="/console/oa" id="oa-page-first""#) && last.text.contains(#"href="/console/oa?offset=40" id="oa-page-prev""#))
            #expect(!last.text.contains(#"id="oa-page-next""#) && !last.text.contains(#"id="oa-page-last""#))
            // A bigger page keeps its size in every link; a page size the console does not offer is the default.
            let fifty = try await browser.get("/console/oa?size=50")
            #expect(fifty.text.contains("共 63 · 1–50") && fifty.text.contains(#"href="/console/oa?offset=50&amp;size=50" id="oa-page-next""#))
            #expect(try await browser.get("/console/oa?size=100").text.contains("共 63 · 1–63"))
            #expect(try await browser.get("/console/oa?size=7").text.contains("共 63 · 1–20"))
            #expect(try await browser.get("/console/oa?size=50&lang=en").text.contains("Per page"))
        }
    }

    @Test func importUploadAppliesCSVAndXLSX() async throws {
        try await APIEnvironment.with { env in
            let browser = try await Browser.signIn(env)
            let departments = try await browser.upload("/console/oa/import", fields: [("sheet", "departments"), ("mode", "merge")],
                                                       file: ("部门.csv", "text/csv", Data(Self.departmentsCSV.utf8)))
            #expect(departments.status == .seeOther, "\(departments)")
            let location = try #require(departments.headers[.location])
            #expect(location == "/console/oa?imported=departments&created=3&updated=0&unchanged=0&left=0&dropped=0")
            let page = try await browser.get(location)
            #expect(page.text.contains("部门表已导入：新增 3、更新 0、未变 0、标记离职 0、删除 0"))

            // Users from an XLSX file; Windows browsers may send it as octet-stream: the name decides.
            let xlsx = try OADirectoryImportTests.xlsx(sheet: """
                <row r="1"><c r="A1" t="inlineStr"><is><t>编号</t></is></c><c r="B1" t="inlineStr"><is><t>登录名</t></is></c>\
                <c r="C1" t="inlineStr"><is><t>姓名</t></is></c><c r="D1" t="inlineStr"><is><t>部门编号</t></is></c></row>
                <row r="2"><c r="A2"><v>2001</v></c><c r="B2" t="inlineStr"><is><t>zhao</t></is></c>\
                <c r="C2" t="inlineStr"><is><t>赵六</t></is></c><c r="D2" t="inlineStr"><is><t>D2</t></is></c></row>
                """)
            let users = try await browser.upload("/console/oa/import", fields: [("sheet", "users"), ("mode", "replace")],
                                                 file: ("users.xlsx", "application/octet-stream", xlsx))
            #expect(users.headers[.location]?.hasPrefix("/console/oa?imported=users&created=1") == true, "\(users)")
            #expect(try await env.database.oaDirectory.oaUser(tenantId: env.tenantId, loginID: "zhao")?.name == "赵六")
            let audit = try await env.api.get("audit?action=oaDirectory.import").items(AuditEntry.self)
            #expect(audit.count == 2 && audit.allSatisfy { $0.actor == "admin" })
            #expect(audit.first?.after?["mode"] == "replace")
        }
    }

    @Test func importWithBadRowsShowsEveryRowAndAppliesNothing() async throws {
        try await APIEnvironment.with { env in
            try await Self.seed(env)
            let browser = try await Browser.signIn(env)
            let bad = """
                oa_id,login_id,name,email,department_oa_id,status
                2001,zhao,赵六,zhao@,D1,
                2002,,钱七,,D9,
                2001,sun,孙八,,D1,maybe
                """
            let answer = try await browser.upload("/console/oa/import", fields: [("sheet", "users"), ("mode", "merge")],
                                                  file: ("bad.csv", "text/csv", Data(bad.utf8)))
            #expect(answer.status == .badRequest)
            #expect(answer.text.contains("3 行有错误，未导入任何数据"))
            #expect(answer.text.contains(#"<table class="table compact" id="import-errors">"#))
            for line in [2, 3, 4] { #expect(answer.text.contains(#"<tr data-line="\#(line)">"#), "line \(line)") }
            #expect(answer.text.contains("不是邮箱地址：&quot;zhao@&quot;"))
            #expect(answer.text.contains("<code>login_id</code>") && answer.text.contains("必填"))
            #expect(answer.text.contains("部门 &quot;D9&quot; 不存在"))
            #expect(answer.text.contains("oa_id &quot;2001&quot; 重复（首次出现在第 2 行）"))
            #expect(answer.text.contains(#"<option value="users" selected>"#))
            #expect(try await env.database.oaDirectory.oaUser(tenantId: env.tenantId, loginID: "zhao") == nil)
            #expect(try await env.database.oaDirectory.oaUsers(tenantId: env.tenantId).total == 3)
        }
    }

    @Test func importFormProblemsAreShownNextToTheirFields() async throws {
        try await APIEnvironment.with { env in
            let browser = try await Browser.signIn(env)
            let noFile = try await browser.upload("/console/oa/import", fields: [("sheet", "users")], file: nil)
            #expect(noFile.status == .badRequest)
            #expect(noFile.text.contains(#"<p class="field-error" data-field="file">请选择要上传的文件</p>"#))
            let wrongType = try await browser.upload("/console/oa/import", fields: [("sheet", "users")],
                                                     file: ("users.txt", "text/plain", Data("x".utf8)))
            #expect(wrongType.text.contains(#"data-field="file">只支持 .csv 或 .xlsx 文件"#))
            let sheet = try await browser.upload("/console/oa/import", fields: [("sheet", "people")],
                                                 file: ("users.csv", "text/csv", Data("x".utf8)))
            #expect(sheet.text.contains(#"data-field="sheet""#))
            let broken = try await browser.upload("/console/oa/import", fields: [("sheet", "users")],
                                                  file: ("users.xlsx", "application/octet-stream", Data("not a zip".utf8)))
            #expect(broken.status == .badRequest && broken.text.contains("XLSX 文件已损坏"))
            // A urlencoded post (no file at all) is refused the same way, not with a crash.
            let plain = try await browser.post("/console/oa/import", [("sheet", "users")])
            #expect(plain.status == .badRequest && plain.text.contains(#"data-field="file""#))
        }
    }

    @Test func importWithoutTheCSRFTokenIsRefused() async throws {
        try await APIEnvironment.with { env in
            let browser = try await Browser.signIn(env)
            let wrong = try await browser.upload("/console/oa/import", fields: [("sheet", "departments")],
                                                 file: ("d.csv", "text/csv", Data(Self.departmentsCSV.utf8)), csrf: "forged")
            #expect(wrong.status == .forbidden)
            let missing = try await browser.post("/console/oa/users/1001/password", [("password", "long enough 1"),
                                                                                     ("passwordConfirm", "long enough 1")], csrf: false)
            #expect(missing.status == .forbidden)
            #expect(try await env.database.oaDirectory.oaDepartments(tenantId: env.tenantId).isEmpty)
        }
    }

    @Test func userDetailAndPassword() async throws {
        try await APIEnvironment.with { env in
            try await Self.seed(env)
            _ = try await env.api.post("enterprises", #"{"name":"示例企业"}"#)
            let browser = try await Browser.signIn(env)
            let page = try await browser.get("/console/oa/users/1001")
            #expect(page.status == .ok)
            #expect(page.text.contains(#"<h1 id="oa-user-name">张三</h1>"#))
            #expect(page.text.contains(#"<li data-oa-department="D2"><a href="/console/oa?department=D2">研发部</a> <code class="muted">D2</code> <span class="badge badge-ok">主部门</span>"#))
            #expect(page.text.contains(#"<li data-oa-department="D3"><a href="/console/oa?department=D3">销售部</a> <code class="muted">D3</code> <span class="badge">兼职</span>"#))
            #expect(page.text.contains("示例企业") && page.text.contains("未绑定"))
            #expect(page.text.contains(#"<span class="badge">未设置</span>"#))
            #expect(try await browser.get("/console/oa/users/nobody").status == .notFound)

            let differ = try await browser.post("/console/oa/users/1001/password", [("password", "first password"),
                                                                                    ("passwordConfirm", "other password")])
            #expect(differ.status == .badRequest)
            #expect(differ.text.contains(#"data-field="passwordConfirm">两次输入的密码不一致"#))
            #expect(!differ.text.contains("first password"))
            let short = try await browser.post("/console/oa/users/1001/password", [("password", "short"), ("passwordConfirm", "short")])
            #expect(short.text.contains(#"data-field="password">至少 8 个字符"#))
            let saved = try await browser.post("/console/oa/users/1001/password", [("password", "张三的 OA 密码"),
                                                                                   ("passwordConfirm", "张三的 OA 密码")])
            #expect(saved.status == .seeOther && saved.headers[.location] == "/console/oa/users/1001?passwordSet=1")
            let user = try #require(try await env.database.oaDirectory.oaUser(tenantId: env.tenantId, oaID: "1001"))
            #expect(try await Passwords.verify("张三的 OA 密码", hash: try #require(user.passwordHash)))
            let after = try await browser.get("/console/oa/users/1001?passwordSet=1")
            #expect(after.text.contains("密码已设置") && after.text.contains(#"<span class="badge badge-ok">已设置</span>"#))
            #expect(!after.text.contains(try #require(user.passwordHash)))
            let audit = try await env.api.get("audit?action=oaUser.password").items(AuditEntry.self)
            #expect(audit.count == 1 && audit.first?.actor == "admin" && audit.first?.after == ["password": "set"])
            #expect(!(try await env.api.get("audit").text.contains("OA 密码")))
        }
    }

    @Test func oaKeysAreShownOnceAndRevoked() async throws {
        try await APIEnvironment.with { env in
            let browser = try await Browser.signIn(env)
            let empty = try await browser.get("/console/oa/keys")
            #expect(empty.status == .ok && empty.text.contains("还没有 OA 密钥"))
            let refused = try await browser.post("/console/oa/keys", [("name", "")])
            #expect(refused.status == .badRequest && refused.text.contains(#"data-field="name""#))
            let created = try await browser.post("/console/oa/keys", [("name", "OA 生产")])
            #expect(created.status == .created)
            let key = try #require(created.text.firstMatch(of: /id="new-oa-key" class="secret">(yqoa_[A-Za-z0-9_-]+)</).map { String($0.output.1) })
            // The key works on the OA API, and is never shown again.
            let listed = try await browser.get("/console/oa/keys")
            #expect(!listed.text.contains(key) && listed.text.contains("OA 生产"))
            #expect(try await env.database.admins.useOAKey(key) != nil)
            let id = try #require(try await env.database.admins.oaKeys(tenantId: env.tenantId).first?.id)
            // Another tenant cannot revoke it.
            let bob = try await Browser.signIn(env, username: "bob")
            #expect(try await bob.post("/console/oa/keys/\(id)/revoke").status == .notFound)
            let revoked = try await browser.post("/console/oa/keys/\(id)/revoke")
            #expect(revoked.status == .seeOther && revoked.headers[.location] == "/console/oa/keys?keyRevoked=1")
            #expect(try await browser.get("/console/oa/keys?keyRevoked=1").text.contains("密钥已吊销"))
            #expect(try await env.database.admins.useOAKey(key) == nil)
        }
    }

    @Test func otherTenantsSeeNothing() async throws {
        try await APIEnvironment.with { env in
            try await Self.seed(env)
            let bob = try await Browser.signIn(env, username: "bob")
            let page = try await bob.get("/console/oa")
            #expect(page.status == .ok && !page.text.contains("张三") && page.text.contains(#"<dd id="count-departments">0</dd>"#))
            #expect(try await bob.get("/console/oa/users/1001").status == .notFound)
            #expect(try await bob.post("/console/oa/users/1001/password", [("password", "long enough"), ("passwordConfirm", "long enough")])
                .status == .notFound)
            #expect(try await env.otherAPI.put("oa-users/1001/password", #"{"password":"long enough"}"#).status == .notFound)
            #expect(try await env.database.oaDirectory.oaUser(tenantId: env.tenantId, oaID: "1001")?.passwordHash == nil)
        }
    }

    // MARK: API

    @Test func passwordAPI() async throws {
        try await APIEnvironment.with { env in
            try await Self.seed(env)
            let set = try await env.api.put("oa-users/1001/password", #"{"password":"a good password"}"#)
            #expect(set.status == .noContent && set.text.isEmpty)
            let hash = try #require(try await env.database.oaDirectory.oaUser(tenantId: env.tenantId, oaID: "1001")?.passwordHash)
            #expect(hash.hasPrefix("$2"))
            #expect(try await Passwords.verify("a good password", hash: hash))
            #expect(try await env.api.put("oa-users/1001/password", #"{"password":"short"}"#).error
                == ErrorBody.Detail(field: "password", message: "at least 8 characters"))
            #expect(try await env.api.put("oa-users/1001/password", #"{"password":"\#(String(repeating: "长", count: 25))"}"#).error?.field == "password")
            #expect(try await env.api.put("oa-users/1001/password", #"{}"#).error?.field == "password")
            // Lengths count code points, as the document's `minLength` does (8 of them: 4 letters with their accents);
            // a line separator is not a control character.
            #expect(try await env.api.put("oa-users/1001/password", #"{"password":"\#(String(repeating: "e\u{301}", count: 4))"}"#).status == .noContent)
            #expect(try await env.api.put("oa-users/1001/password", #"{"password":"pass\u2028word"}"#).status == .noContent)
            #expect(try await env.api.put("oa-users/1001/password", #"{"password":"pass\u0085word"}"#).error?.field == "password")
            #expect(try await env.api.put("oa-users/9999/password", #"{"password":"a good password"}"#).status == .notFound)
            // Percent-encoded ids are decoded.
            try await env.database.oaDirectory.upsertOAUsers([OAUserRecord(tenantId: env.tenantId, oaID: "A/1 二", loginID: "a1", name: "甲")])
            #expect(try await env.api.put("oa-users/A%2F1%20%E4%BA%8C/password", #"{"password":"a good password"}"#).status == .noContent)
            // A console session needs its CSRF token.
            let session = try await env.session(csrf: false)
            #expect(try await session.put("oa-users/1001/password", #"{"password":"a good password"}"#).status == .forbidden)
            let audit = try await env.api.get("audit?action=oaUser.password").items(AuditEntry.self)
            #expect(audit.count == 4 && audit.allSatisfy { $0.actor == "token:ci" })
            #expect(audit.last?.target == "OA user 1001 张三 (zhangsan)")
            #expect(!env.logs.text.contains("a good password"))
            #expect(!(try await env.api.get("audit").text.contains("a good password")))
        }
    }
}
