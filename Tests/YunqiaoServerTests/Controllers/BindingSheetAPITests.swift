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

/// The association sheet through the admin API, on a mirror synced from the emulator (users root1, root2, multi, deep,
/// mover, leaver, big0…big2) and an OA directory in the bridge.
@Suite(.timeLimit(.minutes(2)))
struct BindingSheetAPITests {
    struct Result: Decodable {
        struct Counts: Decodable, Equatable {
            var rows = 0, bound = 0, notFound = 0, conflict = 0, alreadyBound = 0, skipped = 0, invalid = 0
        }
        struct Row: Decodable { var line: Int; var unionID: String; var value: String; var outcome: String; var oaUserID: String?; var message: String }
        var applied: Bool
        var dryRun: Bool
        var field: String
        var counts: Counts
        var rows: [Row]
    }
    struct Binding: Decodable { var oaUserID: String; var unionID: String; var openID: String?; var userID: String?; var method: String; var field: String? }

    static let headers = BindingSheet.columns.map(\.header)

    /// The synced enterprise with OA users: each Feishu user `x` has an OA user `oa-x` with the same mobile in
    /// another spelling, and a few more for the outcomes.
    static func setUp(_ env: APIEnvironment) async throws -> (id: Int64, users: [String: UserView]) {
        let (id, users) = try await BindingAPITests.syncedEnterprise(env)
        let tenant = env.tenantId
        try await env.database.oaDirectory.upsertOAUsers([
            OAUserRecord(tenantId: tenant, oaID: "1001", loginID: "oa-root1", name: "根一", mobile: "139 0000 0001", email: "Root1@Example.com"),
            OAUserRecord(tenantId: tenant, oaID: "1002", loginID: "oa-root2", name: "根二", mobile: "0086-139-0000-0002"),
            OAUserRecord(tenantId: tenant, oaID: "1003", loginID: "oa-multi", name: "兼职", mobile: "13900000003", employeeNo: "e-multi"),
            OAUserRecord(tenantId: tenant, oaID: "1004", loginID: "twin-a", name: "双甲", mobile: "13800000000"),
            OAUserRecord(tenantId: tenant, oaID: "1005", loginID: "twin-b", name: "双乙", mobile: "+86 138 0000 0000"),
            OAUserRecord(tenantId: tenant, oaID: "1006", loginID: "gone", name: "离职", mobile: "13700000009", status: "left"),
            OAUserRecord(tenantId: tenant, oaID: "1007", loginID: "oa-deep", name: "深", mobile: "13900000004"),
        ])
        return (id, users)
    }

    static func export(_ env: APIEnvironment, _ enterprise: Int64, _ format: String) async throws -> (Answer, Data) {
        let response = try await env.client.execute(uri: "/api/admin/v1/enterprises/\(enterprise)/binding-sheet?format=\(format)", method: .get,
                                                    headers: [.authorization: "Bearer \(env.token)"], body: nil)
        return (Answer(status: response.status, headers: response.headers, text: String(buffer: response.body)),
                Data(response.body.readableBytesView))
    }

    static func upload(_ env: APIEnvironment, _ enterprise: Int64, _ data: Data, query: String, contentType: String? = nil,
                       token: String? = nil) async throws -> Answer
    {
        var headers: HTTPFields = [.authorization: "Bearer \(token ?? env.token)"]
        if let contentType { headers[.contentType] = contentType }
        let response = try await env.client.execute(uri: "/api/admin/v1/enterprises/\(enterprise)/binding-sheet?\(query)", method: .post,
                                                    headers: headers, body: ByteBuffer(bytes: data))
        return Answer(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    /// A CSV of the two columns that matter.
    static func sheet(_ rows: [(String, String)]) -> Data {
        Data(("union_id,OA 关联值 (oa_value)\r\n" + rows.map { "\($0.0),\($0.1)\r\n" }.joined()).utf8)
    }

    static func bindings(_ env: APIEnvironment, _ enterprise: Int64) async throws -> [Binding] {
        try await env.api.get("enterprises/\(enterprise)/bindings").items(Binding.self)
    }

    // MARK: export

    @Test func exportCSVAndXLSXReadBack() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, users) = try await Self.setUp(env)
            let multi = try #require(users["multi"])
            let bound = try await env.api.post("enterprises/\(enterprise)/bindings", #"{"oaUserID":"1003","unionID":"\#(multi.unionID)"}"#)
            #expect(bound.status == .created)

            let (csvAnswer, csvData) = try await Self.export(env, enterprise, "csv")
            #expect(csvAnswer.status == .ok)
            #expect(csvAnswer.headers[.contentType] == "text/csv; charset=utf-8")
            let disposition = try #require(csvAnswer.headers[.contentDisposition])
            #expect(disposition.hasPrefix("attachment; filename=\"binding-sheet-\(enterprise)-") && disposition.contains(".csv\""))
            #expect(disposition.contains("filename*=UTF-8''%E5%85%B3%E8%81%94%E5%AF%BC%E5%85%A5-"))
            #expect(csvData.starts(with: [0xEF, 0xBB, 0xBF]))
            let csv = try SpreadsheetReader.csv(csvData)
            #expect(csv.first == Self.headers)
            #expect(csv.count == 1 + users.count)
            #expect(csv.dropFirst().allSatisfy { $0.count == 9 && $0[8] == "" })
            // By name, then union_id.
            let names = csv.dropFirst().map { $0[1] }
            #expect(names == names.sorted())
            let multiRow = try #require(csv.first { $0.first == multi.unionID })
            #expect(multiRow == [multi.unionID, "兼职者", "总部; 平台部; 销售中心", "+8613900000003", "", "E-MULTI", "multi", "oa-multi", ""])
            #expect(csv.first { $0.first == users["root1"]?.unionID }?[4] == "root1@example.com")
            #expect(csv.dropFirst().filter { !$0[7].isEmpty }.count == 1)

            let (xlsxAnswer, xlsxData) = try await Self.export(env, enterprise, "xlsx")
            #expect(xlsxAnswer.status == .ok)
            #expect(xlsxAnswer.headers[.contentType] == SpreadsheetWriter.xlsxContentType)
            #expect(xlsxAnswer.headers[.contentDisposition]?.contains(".xlsx\"") == true)
            #expect(xlsxData.starts(with: [0x50, 0x4B, 0x03, 0x04]))
            // The empty column is not stored as text; padded, the sheet is the CSV.
            let xlsx = try SpreadsheetReader.xlsx(xlsxData).map { $0 + Array(repeating: "", count: max(0, 9 - $0.count)) }
            #expect(xlsx == csv)

            #expect(try await Self.export(env, enterprise, "pdf").0.error?.field == "format")
            #expect(try await env.api.get("enterprises/\(enterprise)/binding-sheet").headers[.contentType] == "text/csv; charset=utf-8")
        }
    }

    @Test func exportOfAnEmptyMirrorHasTheHeaderOnly() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, _) = try await AdminAPIFeishuTests.emulatorEnterprise(env)
            let (_, csv) = try await Self.export(env, enterprise.id, "csv")
            #expect(try SpreadsheetReader.csv(csv) == [Self.headers])
            let (_, xlsx) = try await Self.export(env, enterprise.id, "xlsx")
            #expect(try SpreadsheetReader.xlsx(xlsx) == [Self.headers])
        }
    }

    // MARK: import

    @Test func roundTripExportFillImportBinds() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, users) = try await Self.setUp(env)
            let (_, exported) = try await Self.export(env, enterprise, "xlsx")
            var rows = try SpreadsheetReader.xlsx(exported)
            let mobiles = ["root1": "+86 139 0000 0001", "root2": "13900000002", "multi": "139-0000-0003"]
            for index in rows.indices.dropFirst() {
                rows[index] += Array(repeating: "", count: max(0, 9 - rows[index].count))
                let userID = rows[index][6]
                if let mobile = mobiles[userID] { rows[index][8] = mobile }
            }
            // Filled in a spreadsheet program and saved as CSV (Excel's "CSV UTF-8" keeps the BOM).
            var csv = SpreadsheetWriter.CSV.byteOrderMark
            for row in rows { csv += SpreadsheetWriter.CSV.line(row) }
            let answer = try await Self.upload(env, enterprise, Data(csv.utf8), query: "field=mobile", contentType: "text/csv")
            #expect(answer.status == .ok, "\(answer)")
            let result = try answer.decode(Result.self)
            #expect(result.applied && !result.dryRun && result.field == "mobile")
            #expect(result.counts == .init(rows: users.count, bound: 3, skipped: users.count - 3))
            #expect(result.rows.filter { $0.outcome == "bound" }.compactMap(\.oaUserID).sorted() == ["1001", "1002", "1003"])
            #expect(result.rows.first { $0.oaUserID == "1001" }?.message == "to the OA user oa-root1 (根一)")
            #expect(result.rows.map(\.line) == Array(2...(users.count + 1)))

            let bindings = try await Self.bindings(env, enterprise)
            #expect(bindings.map(\.oaUserID).sorted() == ["1001", "1002", "1003"])
            #expect(bindings.allSatisfy { $0.method == "import" && $0.field == "mobile" })
            let root1 = try #require(bindings.first { $0.oaUserID == "1001" })
            #expect(root1.unionID == users["root1"]?.unionID && root1.openID == users["root1"]?.openID && root1.userID == "root1")

            let audit = try await env.api.get("audit?action=binding").items(AuditEntry.self)
            #expect(audit.filter { $0.action == "binding.bind" }.count == 3)
            #expect(audit.contains { $0.action == "binding.bind" && $0.after?["method"] == "import" && $0.after?["field"] == "mobile"
                && $0.target.hasSuffix("根一 ⇄ 根成员一") })
            let summary = try #require(audit.first { $0.action == "binding.import" })
            #expect(summary.after == ["field": "mobile", "rows": "\(users.count)", "bound": "3", "notFound": "0", "conflict": "0",
                                      "alreadyBound": "0", "skipped": "\(users.count - 3)", "invalid": "0"])
            #expect(summary.actor == "token:ci")

            // The export now says who is bound; importing the same sheet again binds nobody twice.
            let (_, again) = try await Self.export(env, enterprise, "csv")
            #expect(try SpreadsheetReader.csv(again).first { $0.first == users["root2"]?.unionID }?[7] == "oa-root2")
            let second = try await Self.upload(env, enterprise, Data(csv.utf8), query: "field=mobile").decode(Result.self)
            #expect(second.counts.alreadyBound == 3 && second.counts.bound == 0)
            #expect(second.rows.first { $0.oaUserID == "1002" }?.message == "this Feishu user is bound to this OA user already: oa-root2 (根二)")
        }
    }

    @Test func everyOutcomeFromAnXLSXFile() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, users) = try await Self.setUp(env)
            func union(_ userID: String) throws -> String { try #require(users[userID]?.unionID) }
            // deep is bound to oa-deep already; mover's value names oa-deep too.
            let bound = try await env.api.post("enterprises/\(enterprise)/bindings", #"{"oaUserID":"1007","unionID":"\#(try union("deep"))"}"#)
            #expect(bound.status == .created)
            var sheet = SpreadsheetWriter.XLSX(columns: [.init(width: 30), .init(width: 20, text: true)])
            sheet.appendHeader(["union_id", "OA 关联值 (oa_value)"])
            let rows: [(String, String)] = [
                (try union("root1"), "+86 139-0000-0001"),  // 2 bound
                (try union("root2"), ""),  // 3 skipped
                (try union("multi"), "13000000000"),  // 4 notFound
                (try union("leaver"), "13800000000"),  // 5 conflict: twin-a and twin-b
                (try union("deep"), "13900000001"),  // 6 alreadyBound: deep ⇄ oa-deep
                (try union("mover"), "13900000004"),  // 7 alreadyBound: oa-deep ⇄ deep
                ("on_unknown", "13900000002"),  // 8 invalid: not in the mirror
                (try union("big0"), "13700000009"),  // 9 invalid: left
                (try union("big1"), "13900000002"),  // 10 conflict: big1 and big2 name oa-root2
                (try union("big2"), "0086 139 0000 0002"),  // 11
            ]
            for row in rows { sheet.append([row.0, row.1]) }
            let answer = try await Self.upload(env, enterprise, try sheet.data(), query: "field=mobile")
            #expect(answer.status == .ok, "\(answer)")
            let result = try answer.decode(Result.self)
            #expect(result.rows.map(\.outcome) == ["bound", "skipped", "notFound", "conflict", "alreadyBound", "alreadyBound", "invalid",
                                                  "invalid", "conflict", "conflict"])
            #expect(result.counts == .init(rows: 10, bound: 1, notFound: 1, conflict: 3, alreadyBound: 2, skipped: 1, invalid: 2))
            let messages = Dictionary(uniqueKeysWithValues: result.rows.map { ($0.line, $0.message) })
            #expect(messages[5] == "several OA users have this value: twin-a (双甲), twin-b (双乙)")
            #expect(messages[6] == "this Feishu user is already bound to the OA user oa-deep (深)")
            #expect(messages[7] == "the OA user oa-deep (深) is already bound to the Feishu user 最深处 (\(try union("deep")))")
            #expect(messages[9] == "the OA user with this value has left: gone (离职)")
            #expect(messages[10] == "lines 10, 11 name the same OA user oa-root2 (根二)")
            #expect(try await Self.bindings(env, enterprise).map(\.oaUserID).sorted() == ["1001", "1007"])
        }
    }

    @Test func dryRunWritesNothing() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, users) = try await Self.setUp(env)
            let data = Self.sheet([(try #require(users["root1"]?.unionID), "oa-root1"), (try #require(users["multi"]?.unionID), "OA-MULTI")])
            let auditBefore = try await env.api.get("audit").items(AuditEntry.self).count
            let preview = try await Self.upload(env, enterprise, data, query: "field=loginID&dryRun=true")
            #expect(preview.status == .ok, "\(preview)")
            let result = try preview.decode(Result.self)
            #expect(!result.applied && result.dryRun)
            // Login ids are compared as they are: OA-MULTI is not oa-multi.
            #expect(result.rows.map(\.outcome) == ["bound", "notFound"])
            #expect(try await Self.bindings(env, enterprise).isEmpty)
            #expect(try await env.api.get("audit").items(AuditEntry.self).count == auditBefore)
            #expect(try await Self.upload(env, enterprise, data, query: "field=loginID&dryRun=maybe").error?.field == "dryRun")

            let applied = try await Self.upload(env, enterprise, data, query: "field=loginid&dryRun=false").decode(Result.self)
            #expect(applied.applied && applied.counts.bound == 1)
            #expect(try await Self.bindings(env, enterprise).map(\.field) == ["loginID"])
        }
    }

    @Test func badRequestsNameTheirFieldAndChangeNothing() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, users) = try await Self.setUp(env)
            let root1 = try #require(users["root1"]?.unionID)
            let good = Self.sheet([(root1, "13900000001")])
            let missing = try await Self.upload(env, enterprise, Data("union_id,手机\n\(root1),13900000001\n".utf8), query: "field=mobile")
            #expect(missing.status == .badRequest)
            #expect(missing.error == .init(field: "file", message: "missing column OA 关联值 (oa_value)"))
            let noKey = try await Self.upload(env, enterprise, Data("oa_value\n13900000001\n".utf8), query: "field=mobile")
            #expect(noKey.error == .init(field: "file", message: "missing column union_id"))
            let unknown = try await Self.upload(env, enterprise, good, query: "field=phone")
            #expect(unknown.status == .badRequest)
            #expect(unknown.error == .init(field: "field", message: "must be one of loginID, mobile, email, employeeNo, oaID"))
            #expect(try await Self.upload(env, enterprise, good, query: "").error?.field == "field")
            #expect(try await Self.upload(env, enterprise, Data(), query: "field=mobile").error == .init(field: "file", message: "the file is empty"))
            #expect(try await Self.upload(env, enterprise, good, query: "field=mobile&format=pdf").error?.field == "format")
            let notXLSX = try await Self.upload(env, enterprise, good, query: "field=mobile&format=xlsx")
            #expect(notXLSX.error == .init(field: "file", message: "the XLSX file is not a ZIP archive"))
            let notText = try await Self.upload(env, enterprise, Data([0xFF, 0xFE, 0x00, 0x41]), query: "field=mobile")
            #expect(notText.error?.field == "file")
            #expect(try await Self.bindings(env, enterprise).isEmpty)
            #expect(try await env.api.get("audit?action=binding").items(AuditEntry.self).isEmpty)
        }
    }

    @Test func anotherTenantsEnterpriseIsNotFound() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, users) = try await Self.setUp(env)
            let data = Self.sheet([(try #require(users["root1"]?.unionID), "13900000001")])
            let otherExport = try await env.client.execute(uri: "/api/admin/v1/enterprises/\(enterprise)/binding-sheet?format=xlsx", method: .get,
                                                           headers: [.authorization: "Bearer \(env.otherToken)"], body: nil)
            #expect(otherExport.status == .notFound)
            #expect(try await Self.upload(env, enterprise, data, query: "field=mobile", token: env.otherToken).status == .notFound)
            #expect(try await Self.upload(env, enterprise, data, query: "field=mobile&dryRun=true", token: env.otherToken).status == .notFound)
            #expect(try await Self.upload(env, 9999, data, query: "field=mobile").status == .notFound)
            #expect(try await env.anonymous.get("enterprises/\(enterprise)/binding-sheet").status == .unauthorized)
            #expect(try await Self.bindings(env, enterprise).isEmpty)
        }
    }
}
