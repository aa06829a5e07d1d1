import AsyncHTTPClient
import FeishuEmulator
import FeishuKit
import Foundation
import Logging
import NIOHTTP1
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices

/// An emulator with an exact org, an in-memory database with one enterprise pointing at it, and a sync.
struct SyncEnvironment {
    let emulator: RunningEmulator
    let database: YunqiaoDatabase
    let enterprise: EnterpriseRecord
    let sync: FeishuDirectorySync
    /// A client of the same app, to change the org the way an admin would.
    let admin: FeishuClient

    static let app = EmulatorConfiguration.App(appID: "cli_synctest", appSecret: "sync-secret")
    static let fastRetry = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(5), maxDelay: .milliseconds(50))

    static func with(_ fixture: String, rateLimit: Bool = false, latency: Duration = .zero, apps: [EmulatorConfiguration.App]? = nil,
                     _ body: @Sendable (SyncEnvironment) async throws -> Void) async throws
    {
        let parsed = try EmulatorFixture.parse(Data(fixture.utf8))
        let configuration = EmulatorConfiguration(apps: apps ?? [app], org: .fixture(parsed), rateLimit: rateLimit, latency: latency)
        try await Emulator.withRunning(configuration) { emulator in
            let database = try YunqiaoDatabase.inMemory()
            let tenant = try await database.integration.tenant()
            let enterprise = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "测试企业", brand: "feishu",
                                                                             baseURL: emulator.baseURL)
            let syncApp = (apps ?? [app])[0]
            _ = try await database.integration.addApp(enterpriseId: enterprise.id ?? 0, name: "sync", appID: syncApp.appID, appSecret: syncApp.appSecret)
            let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            let admin = FeishuClient(baseURL: emulator.baseURL,
                                     credentials: FeishuCredentials(appID: app.appID, appSecret: app.appSecret),
                                     httpClient: .shared, retry: fastRetry, logger: logger)
            try await body(SyncEnvironment(emulator: emulator, database: database, enterprise: enterprise,
                                           sync: FeishuDirectorySync(database: database, httpClient: .shared, retry: Self.fastRetry, logger: logger), admin: admin))
        }
    }

    func run() async throws -> SyncReport {
        try await sync.run(enterprise: enterprise)
    }

    func mirror() async throws -> DirectoryMirror {
        try await database.mirror.directory(enterpriseId: enterprise.id ?? 0)
    }

    /// open_id of a fixture user (by its user_id) for the sync app.
    func openID(_ userID: String) async throws -> String {
        let user = try await admin.user(userID, userIDType: .userID)
        return try required(user.openID)
    }

    func openDepartmentID(_ departmentID: String) async throws -> String {
        try await admin.department(departmentID, departmentIDType: .departmentID).openDepartmentID
    }

    /// Sends a raw write through the client (PATCH/DELETE/POST with a JSON body).
    func write(_ method: FeishuHTTPMethod, _ path: String, api: String, query: [(String, String)] = [], body: String = "{}") async throws {
        let _: FeishuClient.Empty = try await admin.call(FeishuRequest(method, path, api: api, query: query, body: Data(body.utf8)))
    }
}

/// The fixture most sync tests start from: a five-level tree, a department of 120 members (three pages of 50),
/// two members directly under the root, a user in three departments.
func standardFixture(bigDepartmentMembers: Int = 120) -> String {
    var users: [String] = [
        #"{"user_id":"root1","name":"根成员一","mobile":"+8613900000001","email":"root1@example.com","departments":["0"]}"#,
        #"{"user_id":"root2","name":"根成员二","mobile":"+8613900000002","departments":["0"]}"#,
        #"{"user_id":"multi","name":"兼职者","mobile":"+8613900000003","employee_no":"E-MULTI","departments":["D1","D3","D5"]}"#,
        #"{"user_id":"deep","name":"最深处","mobile":"+8613900000004","departments":["D4"],"leader":"multi"}"#,
        #"{"user_id":"mover","name":"调动者","mobile":"+8613900000005","departments":["D2"]}"#,
        #"{"user_id":"leaver","name":"离职者","mobile":"+8613900000006","departments":["D2"]}"#,
    ]
    for index in 0..<bigDepartmentMembers {
        users.append(#"{"user_id":"big\#(index)","name":"大部门\#(index)","mobile":"+861370000\#(String(format: "%04d", index))","departments":["D5"]}"#)
    }
    return """
        {"tenant": {"name": "同步测试"},
         "departments": [
           {"department_id": "D1", "name": "总部", "parent": "0"},
           {"department_id": "D2", "name": "研发中心", "parent": "D1"},
           {"department_id": "D3", "name": "平台部", "parent": "D2"},
           {"department_id": "D4", "name": "存储组", "parent": "D3"},
           {"department_id": "D5", "name": "销售中心", "parent": "0"},
           {"department_id": "D6", "name": "空部门", "parent": "D5"}
         ],
         "users": [\(users.joined(separator: ",\n"))]}
        """
}
