import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import FeishuEmulator

// MARK: - Apps and the fixture org

/// The apps every fixture emulator knows.
enum TestApps {
    /// "All members" scope, sees everything.
    static let main = EmulatorConfiguration.App(appID: "cli_test_main000001", appSecret: "secret-main")
    /// A second all-members app: same people, different open_ids.
    static let other = EmulatorConfiguration.App(appID: "cli_test_other00001", appSecret: "secret-other")
    /// Sees the `rd` subtree and the single user `wangwu`.
    static let limited = EmulatorConfiguration.App(
        appID: "cli_test_limited001", appSecret: "secret-limited", scope: .limited(departments: ["rd"], users: ["wangwu"]))
    /// Has no field scope for mobile, email and employee number.
    static let withheld = EmulatorConfiguration.App(
        appID: "cli_test_withheld01", appSecret: "secret-withheld", withheldFields: ["mobile", "email", "employee_no"])

    static let all = [main, other, limited, withheld]
}

/// An exact org, built as fixture JSON and read with ``EmulatorFixture/parse(_:)``.
///
/// ```
/// 0 ─┬─ g50 (五十人部)      50 members, 50 child departments g50-c01…g50-c50
///    ├─ g51 (五十一人部)    51 members, 51 child departments g51-c01…g51-c51
///    ├─ empty (空部门)      nothing
///    ├─ rd (研发中心) ─┬─ rd-fe (前端组)               zhangsan (also in rd)
///    │                └─ rd-be (后端组) ── rd-be-db    lisi
///    ├─ sales (销售部) ── sales-east (华东区)          wangwu
///    └─ users directly in the root: zhaoliu, sunqi
/// ```
enum TestOrg {
    static let userAPI = "/open-apis/contact/v3/users"
    static let departmentAPI = "/open-apis/contact/v3/departments"

    static func memberIDs(of group: String, count: Int) -> [String] { (1...count).map { String(format: "\(group)-u%02d", $0) } }
    static func childIDs(of group: String, count: Int) -> [String] { (1...count).map { String(format: "\(group)-c%02d", $0) } }

    static var fixtureJSON: JSON {
        var departments: [JSON] = []
        var users: [JSON] = []
        var phone = 13_900_000_000
        func user(_ id: String, _ name: String, _ departmentIDs: [String], leader: String? = nil) {
            phone += 1
            var item: [String: JSON] = [
                "user_id": .string(id), "name": .string(name), "en_name": .string(id.capitalized),
                "mobile": .string("+86\(phone)"), "email": .string("\(id)@example.com"),
                "employee_no": .string("E\(phone - 13_900_000_000)"),
                "departments": .array(departmentIDs.map(JSON.string)), "job_title": "工程师",
            ]
            if let leader { item["leader"] = .string(leader) }
            users.append(.object(item))
        }
        func department(_ id: String, _ name: String, parent: String, order: Int? = nil, leader: String? = nil) {
            var item: [String: JSON] = ["department_id": .string(id), "name": .string(name), "parent": .string(parent)]
            if let order { item["order"] = .int(order) }
            if let leader { item["leader"] = .string(leader) }
            departments.append(.object(item))
        }
        department("g50", "五十人部", parent: "0", order: 1000)
        department("g51", "五十一人部", parent: "0", order: 2000)
        department("empty", "空部门", parent: "0", order: 3000)
        department("rd", "研发中心", parent: "0", order: 4000, leader: "zhangsan")
        department("rd-fe", "前端组", parent: "rd")
        department("rd-be", "后端组", parent: "rd")
        department("rd-be-db", "数据库组", parent: "rd-be")
        department("sales", "销售部", parent: "0", order: 5000)
        department("sales-east", "华东区", parent: "sales")
        for (group, count) in [("g50", 50), ("g51", 51)] {
            for (index, id) in childIDs(of: group, count: count).enumerated() {
                department(id, String(format: "子部门%02d", index + 1), parent: group)
            }
            for (index, id) in memberIDs(of: group, count: count).enumerated() {
                user(id, (group == "g50" ? "成员甲" : "成员乙") + String(format: "%02d", index + 1), [group])
            }
        }
        user("zhangsan", "张三", ["rd", "rd-fe"])
        user("lisi", "李四", ["rd-be-db"], leader: "zhangsan")
        user("wangwu", "王五", ["sales-east"])
        user("zhaoliu", "赵六", ["0"])
        user("sunqi", "孙七", ["0"])
        return [
            "tenant": ["name": "测试科技有限公司", "tenant_key": "736588c9260f175d"],
            "departments": .array(departments),
            "users": .array(users),
        ]
    }

    static func fixture() throws -> EmulatorFixture { try EmulatorFixture.parse(Data(fixtureJSON.serialized.utf8)) }

    /// Parsed once per process: parsing takes most of the time of setting up an emulator.
    static let parsedFixture = Result { try fixture() }

    static func configuration(rateLimit: Bool = false) throws -> EmulatorConfiguration {
        EmulatorConfiguration(apps: TestApps.all, org: .fixture(try parsedFixture.get()), rateLimit: rateLimit)
    }
}

// MARK: - Talking to the emulator

let quietLogger = Logger(label: "feishu-emulator-tests", factory: { _ in SwiftLogNoOpLogHandler() })
let logIDHeader = HTTPField.Name("X-Tt-Logid")!

/// One HTTP answer, with the body as text and (when it is JSON) parsed.
struct Reply: Sendable {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String
    /// The body parsed as JSON, `nil` when it is not JSON.
    var json: JSON?

    init(_ response: TestResponse) {
        self.status = response.status
        self.headers = response.headers
        self.text = String(buffer: response.body)
        self.json = JSON.parse(self.text)
    }

    var code: Int? { self.json?["code"]?.intValue }
    var data: JSON? { self.json?["data"] }
    var items: [JSON] { self.data?["items"]?.arrayValue ?? [] }
    var contentType: String { self.headers[.contentType] ?? "" }
    var logID: String? { self.headers[logIDHeader] }
    var firstViolationField: String? { self.json?["error"]?["field_violations"]?.arrayValue?.first?["field"]?.stringValue }
    /// `error.field` of the `/_emulator` side door.
    var adminErrorField: String? { self.json?["error"]?["field"]?.stringValue }

    func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { self.headers[$0] } }
}

extension TestClientProtocol {
    /// Sends a request; `json` becomes a UTF-8 JSON body with a JSON Content-Type, `raw` is sent as is without one.
    func send(_ method: HTTPRequest.Method, _ uri: String, authorization: String? = nil, json: JSON? = nil, raw: String? = nil)
        async throws -> Reply
    {
        var headers = HTTPFields()
        if let authorization { headers[.authorization] = authorization }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json; charset=utf-8"
            body = ByteBuffer(string: json.serialized)
        } else if let raw {
            body = ByteBuffer(string: raw)
        }
        return try await self.execute(uri: uri, method: method, headers: headers, body: body) { Reply($0) }
    }

    func tenantTokenReply(_ app: EmulatorConfiguration.App) async throws -> Reply {
        try await self.send(.post, "/open-apis/auth/v3/tenant_access_token/internal",
                            json: ["app_id": .string(app.appID), "app_secret": .string(app.appSecret)])
    }

    func tenantToken(_ app: EmulatorConfiguration.App) async throws -> String {
        let reply = try await self.tenantTokenReply(app)
        return try #require(reply.json?["tenant_access_token"]?.stringValue)
    }

    /// The operator side door (`/_emulator/...`), no token.
    func admin(_ method: HTTPRequest.Method, _ path: String, _ json: JSON? = nil) async throws -> Reply {
        try await self.send(method, "/_emulator/" + path, json: json)
    }

    /// Stops the emulator's clock, so a test's requests fall in one rate window however slowly a loaded machine sends them.
    func freezeClock() async throws {
        let reply = try await self.admin(.post, "clock/freeze", ["frozen": .bool(true)])
        #expect(reply.status == .ok)
    }

    func advanceClock(seconds: Int) async throws {
        let reply = try await self.admin(.post, "clock/advance", ["seconds": .int(seconds)])
        #expect(reply.status == .ok)
    }
}

/// A client that already holds a tenant token of one app.
struct API: Sendable {
    let client: any TestClientProtocol
    let token: String

    func send(_ method: HTTPRequest.Method, _ uri: String, _ json: JSON? = nil) async throws -> Reply {
        try await self.client.send(method, uri, authorization: "Bearer " + self.token, json: json)
    }

    func get(_ uri: String) async throws -> Reply { try await self.send(.get, uri) }
    func post(_ uri: String, _ json: JSON) async throws -> Reply { try await self.send(.post, uri, json) }
    func patch(_ uri: String, _ json: JSON) async throws -> Reply { try await self.send(.patch, uri, json) }
    func put(_ uri: String, _ json: JSON) async throws -> Reply { try await self.send(.put, uri, json) }
    func delete(_ uri: String, _ json: JSON? = nil) async throws -> Reply { try await self.send(.delete, uri, json) }

    func admin(_ method: HTTPRequest.Method, _ path: String, _ json: JSON? = nil) async throws -> Reply {
        try await self.client.admin(method, path, json)
    }

    /// The same emulator as another app.
    func asApp(_ app: EmulatorConfiguration.App) async throws -> API {
        API(client: self.client, token: try await self.client.tenantToken(app))
    }

    /// A user by custom `user_id`, rendered with custom ids.
    func user(_ userID: String) async throws -> Reply {
        try await self.get("\(TestOrg.userAPI)/\(userID)?user_id_type=user_id&department_id_type=department_id")
    }

    /// Direct members' user_ids of a department given by custom id (first 50).
    func memberIDs(of departmentID: String) async throws -> [String] {
        let reply = try await self.get(
            "\(TestOrg.userAPI)/find_by_department?department_id=\(departmentID)&department_id_type=department_id&user_id_type=user_id&page_size=50")
        #expect(reply.code == 0, "\(reply.text)")
        return reply.items.compactMap { $0["user_id"]?.stringValue }
    }

    /// Child departments' custom ids (first 50).
    func childIDs(of departmentID: String, recursive: Bool = false) async throws -> [String] {
        let reply = try await self.get(
            "\(TestOrg.departmentAPI)/\(departmentID)/children?department_id_type=department_id&page_size=50&fetch_child=\(recursive)")
        #expect(reply.code == 0, "\(reply.text)")
        return reply.items.compactMap { $0["department_id"]?.stringValue }
    }
}

/// Runs `body` against a fresh emulator through the router (no socket), holding a token of `app`.
func withEmulator<T: Sendable>(
    _ configuration: EmulatorConfiguration? = nil,
    faults: EmulatorFaults = EmulatorFaults(),
    app: EmulatorConfiguration.App = TestApps.main,
    _ body: @escaping @Sendable (API) async throws -> T
) async throws -> T {
    let emulator = Emulator(configuration: try configuration ?? TestOrg.configuration(), faults: faults)
    return try await emulator.application(logger: quietLogger).test(.router) { client async throws in
        try await body(API(client: client, token: try await client.tenantToken(app)))
    }
}

/// Runs `body` against a fresh fixture emulator without fetching a token first.
func withClient<T: Sendable>(
    _ configuration: EmulatorConfiguration? = nil,
    _ body: @escaping @Sendable (any TestClientProtocol) async throws -> T
) async throws -> T {
    let emulator = Emulator(configuration: try configuration ?? TestOrg.configuration())
    return try await emulator.application(logger: quietLogger).test(.router, body)
}
