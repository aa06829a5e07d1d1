import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
import ZIPFoundation
@testable import YunqiaoServices
import YunqiaoCore

/// Importing the OA directory from CSV and XLSX files: the reader and the admin API.
@Suite(.timeLimit(.minutes(1)))
struct OADirectoryImportTests {
    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    // MARK: reader

    @Test func csvWithBOMQuotesCommasAndNewlines() throws {
        let text = "\u{FEFF}oa_id,name,title\r\nU1,\"Zhang, San\",\"line one\nline two\"\r\nU2,李四,\"say \"\"hi\"\"\"\r\n"
        let rows = try SpreadsheetReader.rows(Data(text.utf8), format: .csv)
        #expect(rows == [["oa_id", "name", "title"], ["U1", "Zhang, San", "line one\nline two"], ["U2", "李四", "say \"hi\""]])
        #expect(try SpreadsheetReader.csv(Data("a,b\n1,2".utf8)) == [["a", "b"], ["1", "2"]])
        #expect(throws: SpreadsheetReader.ReadError.self) { try SpreadsheetReader.csv(Data([0xFF, 0xFE, 0x00])) }
    }

    @Test func xlsxSharedAndInlineStringsGapsAndLongNumbers() throws {
        let data = try Self.xlsx(sheet: """
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="D1" t="inlineStr"><is><t>mobile</t></is></c></row>
            <row r="3"><c r="A3"><v>1001</v></c><c r="B3" t="s"><v>2</v></c><c r="D3"><v>13800138000</v></c></row>
            """, shared: ["oa_id", "name", "张<三>"])
        let rows = try SpreadsheetReader.rows(data, format: .xlsx)
        #expect(rows == [["oa_id", "name", "", "mobile"], [], ["1001", "张<三>", "", "13800138000"]])
        #expect(throws: SpreadsheetReader.ReadError.self) { try SpreadsheetReader.xlsx(Data("not a zip".utf8)) }
    }

    @Test func xlsxFollowsTheWorkbookToItsFirstSheet() throws {
        let data = try Self.xlsx(sheet: #"<row r="1"><c r="A1" t="inlineStr"><is><t>first</t></is></c></row>"#, path: "xl/worksheets/data.xml",
                                 extra: ["xl/worksheets/sheet1.xml": Self.sheetXML(#"<row r="1"><c r="A1" t="inlineStr"><is><t>wrong</t></is></c></row>"#)])
        #expect(try SpreadsheetReader.xlsx(data) == [["first"]])
    }

    @Test func formats() {
        #expect(SpreadsheetReader.Format(contentType: "text/csv; charset=utf-8") == .csv)
        #expect(SpreadsheetReader.Format(contentType: Self.xlsxType) == .xlsx)
        #expect(SpreadsheetReader.Format(format: "XLSX", contentType: "text/csv") == .xlsx)
        #expect(SpreadsheetReader.Format(contentType: "application/octet-stream", fileName: "dir.csv") == .csv)
        #expect(SpreadsheetReader.Format(contentType: "application/octet-stream") == nil)
    }

    // MARK: API

    static let departmentsCSV = "\u{FEFF}编号,部门名称,上级部门编号,排序\nD1,总部,,1\nD2,研发部,D1,2\n"
    static let usersCSV = """
        oa_id,login_id,name,mobile,email,department_oa_id,part_time_department_oa_ids,status
        U1,zhangsan,张三,13800138000,zs@example.com,D2,D1,
        U2,lisi,李四,,,D1,,left
        """

    @Test func importDepartmentsThenUsersAndList() async throws {
        try await APIEnvironment.with { env in
            let departments = try await Self.upload(env, "departments", Data(Self.departmentsCSV.utf8), contentType: "text/csv")
            #expect(departments.status == .ok, "\(departments)")
            #expect(departments.text == #"{"applied":true,"created":2,"deleted":0,"left":0,"unchanged":0,"updated":0}"#)
            let users = try await Self.upload(env, "users", Data(Self.usersCSV.utf8), query: "&format=csv", contentType: "application/octet-stream")
            #expect(users.status == .ok, "\(users)")
            #expect(try users.decode(Counts.self) == Counts(created: 2, updated: 0))

            let listed = try await env.api.get("oa-directory/departments").items(DepartmentView.self)
            #expect(listed.map(\.oaID) == ["D1", "D2"])
            #expect(listed.map(\.parentOaID) == [nil, "D1"])
            let page = try await env.api.get("oa-directory/users?q=zhang").decode(UserPage.self)
            #expect(page.total == 1)
            #expect(page.items.map(\.departmentOaIDs) == [["D2", "D1"]])
            #expect(!(try await env.api.get("oa-directory/users").text.contains("passwordHash")))
            #expect(try await env.api.get("oa-directory/users?limit=1&offset=1").decode(UserPage.self).items.map(\.oaID) == ["U2"])
            #expect(try await env.api.get("oa-directory/users?limit=0").status == .badRequest)

            // Again with one change: counted as updated; the stored password hash stays.
            var stored = try #require(try await env.database.oaDirectory.oaUsers(tenantId: env.tenantId).users.first)
            stored.passwordHash = "hash"
            try await env.database.oaDirectory.upsertOAUsers([stored])
            let again = try await Self.upload(env, "users", Data(Self.usersCSV.replacingOccurrences(of: "张三", with: "张叁").utf8),
                                              contentType: "text/csv")
            #expect(try again.decode(Counts.self) == Counts(created: 0, updated: 1))
            let first = try #require(try await env.database.oaDirectory.oaUsers(tenantId: env.tenantId).users.first)
            #expect(first.name == "张叁")
            #expect(first.passwordHash == "hash")

            let audit = try await env.api.get("audit?action=oaDirectory").items(AuditEntry.self)
            #expect(audit.count == 3)
            #expect(audit.first?.after?["updated"] == "1")
            #expect(audit.first?.actor == "token:ci")
            // Other tenants see nothing.
            #expect(try await env.otherAPI.get("oa-directory/users").decode(UserPage.self).total == 0)
        }
    }

    @Test func importFromXLSX() async throws {
        try await APIEnvironment.with { env in
            let departments = try Self.xlsx(sheet: """
                <row r="1"><c r="A1" t="inlineStr"><is><t>oa_id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c></row>
                <row r="2"><c r="A2"><v>10</v></c><c r="B2" t="inlineStr"><is><t>总部</t></is></c></row>
                """)
            #expect(try await Self.upload(env, "departments", departments, contentType: Self.xlsxType).status == .ok)
            let users = try Self.xlsx(sheet: """
                <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c>\
                <c r="E1" t="s"><v>4</v></c></row>
                <row r="2"><c r="A2"><v>7</v></c><c r="B2" t="s"><v>5</v></c><c r="C2" t="s"><v>6</v></c><c r="D2"><v>10</v></c>\
                <c r="E2"><v>13800138000</v></c></row>
                """, shared: ["编号", "登录名", "姓名", "部门编号", "手机", "wangwu", "王五"])
            let answer = try await Self.upload(env, "users", users, query: "&format=xlsx", contentType: nil)
            #expect(answer.status == .ok, "\(answer)")
            let user = try #require(try await env.database.oaDirectory.oaUsers(tenantId: env.tenantId).users.first)
            #expect(user.oaID == "7")
            #expect(user.loginID == "wangwu")
            #expect(user.mobile == "13800138000")
        }
    }

    @Test func badFileIsRejectedWithEveryRowAndNothingStored() async throws {
        try await APIEnvironment.with { env in
            _ = try await Self.upload(env, "departments", Data(Self.departmentsCSV.utf8), contentType: "text/csv")
            let csv = """
                oa_id,login_id,name,email,department_oa_id
                U1,a,A,a@example.com,D1
                U2,b,B,not-an-email,D1
                U3,a,C,,NOPE
                """
            let answer = try await Self.upload(env, "users", Data(csv.utf8), contentType: "text/csv")
            #expect(answer.status == .badRequest)
            let body = try answer.decode(Rejected.self)
            #expect(body.applied == false)
            #expect(body.error == ErrorBody.Detail(field: "file", message: "2 rows have errors"))
            #expect(body.rows == [
                Rejected.Row(line: 3, column: "email", message: "not an email address: \"not-an-email\""),
                Rejected.Row(line: 4, column: "department_oa_id", message: "unknown department \"NOPE\""),
                Rejected.Row(line: 4, column: "login_id", message: "duplicate login_id \"a\" (first on line 2)"),
            ])
            #expect(try await env.database.oaDirectory.oaUserCount(tenantId: env.tenantId) == 0)
            #expect(try await env.api.get("audit?action=oaDirectory").items(AuditEntry.self).count == 1)

            let cycle = try await Self.upload(env, "departments", Data("oa_id,name,parent_oa_id\nD1,总部,D2\n".utf8), contentType: "text/csv")
            #expect(cycle.status == .badRequest)
            #expect(try cycle.decode(Rejected.self).rows.map(\.message) == ["parent cycle: D1 → D2 → D1"])
            #expect(try await env.database.oaDirectory.oaDepartments(tenantId: env.tenantId).first?.parentOaID == nil)
        }
    }

    @Test func requestProblems() async throws {
        try await APIEnvironment.with { env in
            let csv = Data(Self.departmentsCSV.utf8)
            #expect(try await Self.upload(env, "teams", csv, contentType: "text/csv").error?.field == "sheet")
            #expect(try await Self.upload(env, "users", csv, contentType: "application/octet-stream").error?.field == "format")
            #expect(try await Self.upload(env, "users", csv, query: "&format=ods", contentType: "text/csv").error?.field == "format")
            #expect(try await Self.upload(env, "users", csv, query: "&mode=wipe", contentType: "text/csv").error?.field == "mode")
            #expect(try await Self.upload(env, "users", Data(), contentType: "text/csv").error?.field == "file")
            #expect(try await Self.upload(env, "users", Data("x".utf8), contentType: Self.xlsxType).error?.field == "file")
            let noHeader = try await Self.upload(env, "users", Data("oa_id,name\n".utf8), contentType: "text/csv")
            #expect(noHeader.status == .badRequest)
            #expect(try noHeader.decode(Rejected.self).rows.map(\.column) == ["login_id", "department_oa_id"])
            #expect(try await env.anonymous.get("oa-directory/users").status == .unauthorized)
        }
    }

    @Test func replaceModeMarksMissingUsersLeft() async throws {
        try await APIEnvironment.with { env in
            _ = try await Self.upload(env, "departments", Data(Self.departmentsCSV.utf8), contentType: "text/csv")
            _ = try await Self.upload(env, "users", Data(Self.usersCSV.utf8), contentType: "text/csv")
            let only = "oa_id,login_id,name,department_oa_id\nU3,wangwu,王五,D1\n"
            // The only active user leaving is past the default threshold (10 %): parked, nothing changed, 202.
            let parked = try await Self.upload(env, "users", Data(only.utf8), query: "&mode=replace", contentType: "text/csv")
            #expect(parked.status == .accepted)
            let summary = try #require(try parked.decode(ParkedAnswer.self).parked)
            #expect(summary.leavingUsers == 1 && summary.activeUsers == 1 && summary.source == .sheet && summary.state == .pending)
            #expect(try await env.database.oaDirectory.oaUsers(tenantId: env.tenantId).users.map(\.status) == ["active", "left"])
            #expect(try await env.api.get("oa-directory/parked").items(ParkedChangeSummary.self).map(\.id) == [summary.id])

            // With the threshold raised, the same replace goes through and supersedes the parked one.
            #expect(try await env.api.put("oa-directory/threshold", #"{"maxPercent":100,"maxCount":500}"#).status == .ok)
            let answer = try await Self.upload(env, "users", Data(only.utf8), query: "&mode=replace", contentType: "text/csv")
            #expect(answer.status == .ok)
            #expect(answer.text == #"{"applied":true,"created":1,"deleted":0,"left":1,"unchanged":0,"updated":0}"#)
            let users = try await env.database.oaDirectory.oaUsers(tenantId: env.tenantId).users
            #expect(users.map(\.status) == ["left", "left", "active"])
            #expect(try await env.api.get("oa-directory/parked").items(ParkedChangeSummary.self).map(\.state) == [.superseded])
            #expect(try await env.api.post("oa-directory/parked/\(summary.id)/apply", "").status == .conflict)
        }
    }

    // MARK: helpers

    struct Counts: Decodable, Equatable {
        var created: Int
        var updated: Int
    }

    struct Rejected: Decodable {
        struct Row: Decodable, Equatable {
            var line: Int
            var column: String?
            var message: String
        }
        var applied: Bool
        var error: ErrorBody.Detail
        var rows: [Row]
    }

    struct DepartmentView: Decodable {
        var oaID: String
        var parentOaID: String?
    }

    struct UserPage: Decodable {
        struct User: Decodable {
            var oaID: String
            var departmentOaIDs: [String]
        }
        var total: Int
        var items: [User]
    }

    static func upload(_ env: APIEnvironment, _ sheet: String, _ data: Data, query: String = "", contentType: String?) async throws -> Answer {
        var headers: HTTPFields = [.authorization: "Bearer \(env.token)"]
        if let contentType { headers[.contentType] = contentType }
        let response = try await env.client.execute(uri: "/api/admin/v1/oa-directory/import?sheet=\(sheet)\(query)", method: .post,
                                                    headers: headers, body: ByteBuffer(bytes: data))
        return Answer(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    static func sheetXML(_ rows: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>\(rows)</sheetData></worksheet>
        """
    }

    /// A minimal XLSX workbook, written in memory: one worksheet at `path`, its shared strings, the workbook and its rels.
    static func xlsx(sheet rows: String, shared: [String] = [], path: String = "xl/worksheets/sheet1.xml",
                     extra: [String: String] = [:]) throws -> Data
    {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let relNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        var files: [String: String] = extra
        files[path] = sheetXML(rows)
        files["xl/workbook.xml"] = """
            <?xml version="1.0" encoding="UTF-8"?><workbook xmlns="\(main)" xmlns:r="\(relNS)"><sheets>\
            <sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>
            """
        files["xl/_rels/workbook.xml.rels"] = """
            <?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="\(relNS)/worksheet" Target="\(path.replacingOccurrences(of: "xl/", with: ""))"/></Relationships>
            """
        if !shared.isEmpty {
            files["xl/sharedStrings.xml"] = """
                <?xml version="1.0" encoding="UTF-8"?><sst xmlns="\(main)" count="\(shared.count)">\
                \(shared.map { "<si><t>\(escape($0))</t></si>" }.joined())</sst>
                """
        }
        let archive = try Archive(accessMode: .create)
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            let bytes = Data(text.utf8)
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
                bytes.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return try #require(archive.data)
    }
}

/// The parked part of an import's answer.
private struct ParkedAnswer: Decodable {
    var applied: Bool
    var parked: ParkedChangeSummary?
}
