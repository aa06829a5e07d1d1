import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// Bindings through the admin API, on a mirror synced from the emulator and an OA directory in the bridge.
@Suite(.timeLimit(.minutes(2)))
struct BindingAPITests {
    struct Settings: Codable { var autoBindEnabled: Bool; var fields: [String] }
    struct Result: Decodable { var bound: Int; var conflicts: Int; var unmatched: Int; var byField: [String: Int] }
    struct Conflict: Decodable { var kind: String; var unionID: String; var field: String; var value: String; var oaUserIDs: [String] }
    struct Binding: Decodable { var oaUserID: String; var unionID: String; var openID: String?; var method: String; var field: String? }

    /// Syncs the standard fixture (users root1, root2, multi (E-MULTI), deep, mover, leaver, big0…) into an enterprise.
    static func syncedEnterprise(_ env: APIEnvironment) async throws -> (id: Int64, users: [String: UserView]) {
        let (enterprise, _) = try await AdminAPIFeishuTests.emulatorEnterprise(env)
        let started = try await env.api.post("enterprises/\(enterprise.id)/sync").decode(AdminAPIFeishuTests.SyncStartBody.self)
        _ = try await AdminAPIFeishuTests.waitForRun(env, enterprise: enterprise.id, id: started.run.id)
        let page = try await env.api.get("enterprises/\(enterprise.id)/users?limit=200").decode(UserPage.self)
        return (enterprise.id, Dictionary(uniqueKeysWithValues: page.users.compactMap { user in user.userID.map { ($0, user) } }))
    }

    @Test func autoBindConflictsCardBindUnbindAndBatchUnbind() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, users) = try await Self.syncedEnterprise(env)
            let tenant = env.tenantId
            try await env.database.oaDirectory.upsertOAUsers([
                OAUserRecord(tenantId: tenant, oaID: "1001", loginID: "zhang", name: "兼职者", employeeNo: "e-multi"),
                OAUserRecord(tenantId: tenant, oaID: "1002", loginID: "root1", name: "根成员一", mobile: "139 0000 0001"),
                OAUserRecord(tenantId: tenant, oaID: "1003", loginID: "r2a", name: "甲", mobile: "13900000002"),
                OAUserRecord(tenantId: tenant, oaID: "1004", loginID: "r2b", name: "乙", mobile: "+86 139-0000-0002"),
                OAUserRecord(tenantId: tenant, oaID: "1005", loginID: "deep-oa", name: "最深处"),
            ])
            let defaults = try await env.api.get("enterprises/\(enterprise)/binding-settings").decode(Settings.self)
            #expect(!defaults.autoBindEnabled && defaults.fields == ["employeeNo", "mobile", "email"])
            #expect(try await env.api.put("enterprises/\(enterprise)/binding-settings", #"{"autoBindEnabled":false,"fields":[]}"#)
                .error?.field == "fields")
            #expect(try await env.api.put("enterprises/\(enterprise)/binding-settings", #"{"autoBindEnabled":false,"fields":["phone"]}"#)
                .status == .badRequest)

            let result = try await env.api.post("enterprises/\(enterprise)/auto-bind").decode(Result.self)
            #expect(result.bound == 2 && result.conflicts == 1, "\(result)")
            #expect(result.byField == ["employeeNo": 1, "mobile": 1])
            let bindings = try await env.api.get("enterprises/\(enterprise)/bindings").items(Binding.self)
            #expect(bindings.map(\.oaUserID) == ["1001", "1002"])
            #expect(bindings.first?.unionID == users["multi"]?.unionID && bindings.first?.openID == users["multi"]?.openID)
            #expect(bindings.allSatisfy { $0.method == "auto" })
            let conflicts = try await env.api.get("enterprises/\(enterprise)/binding-conflicts").items(Conflict.self)
            #expect(conflicts.map(\.kind) == ["ambiguous"] && conflicts.first?.oaUserIDs == ["1003", "1004"])
            #expect(conflicts.first?.unionID == users["root2"]?.unionID && conflicts.first?.value == "+8613900000002")

            // The admin resolves the conflict on the user card; a second bind of either side is refused.
            let root2 = try #require(users["root2"]?.unionID)
            let bound = try await env.api.post("enterprises/\(enterprise)/bindings", #"{"oaUserID":"1004","unionID":"\#(root2)"}"#)
            #expect(bound.status == .created)
            #expect(try await env.api.get("enterprises/\(enterprise)/binding-conflicts").items(Conflict.self).isEmpty)
            let twice = try await env.api.post("enterprises/\(enterprise)/bindings", #"{"oaUserID":"1003","unionID":"\#(root2)"}"#)
            #expect(twice.status == .conflict && twice.error?.field == "unionID")
            let unknown = try await env.api.post("enterprises/\(enterprise)/bindings", #"{"oaUserID":"9999","unionID":"\#(root2)"}"#)
            #expect(unknown.error?.field == "oaUserID")

            #expect(try await env.api.delete("enterprises/\(enterprise)/bindings/1004").status == .noContent)
            #expect(try await env.api.delete("enterprises/\(enterprise)/bindings/1004").status == .notFound)
            let refused = try await env.api.post("enterprises/\(enterprise)/bindings/unbind-all", #"{"confirm":"wrong"}"#)
            #expect(refused.error?.field == "confirm")
            let all = try await env.api.post("enterprises/\(enterprise)/bindings/unbind-all", #"{"confirm":"模拟企业"}"#)
            #expect(all.status == .ok && all.text.contains(#""unbound":2"#))
            #expect(try await env.api.get("enterprises/\(enterprise)/bindings").items(Binding.self).isEmpty)
            let audit = try await env.api.get("audit?action=binding").items(AuditEntry.self)
            #expect(audit.filter { $0.action == "binding.unbind" }.count == 3)
            #expect(audit.contains { $0.action == "binding.unbind" && $0.before?["oaUserID"] == "1004" })
            #expect(audit.allSatisfy { $0.actor == "token:ci" })
        }
    }

    @Test func autoBindRunsAfterEverySyncWhenEnabled() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, _) = try await AdminAPIFeishuTests.emulatorEnterprise(env)
            try await env.database.oaDirectory.upsertOAUsers([
                OAUserRecord(tenantId: env.tenantId, oaID: "7", loginID: "deep", name: "最深处", mobile: "13900000004"),
            ])
            let settings = try await env.api.put("enterprises/\(enterprise.id)/binding-settings",
                                                 #"{"autoBindEnabled":true,"fields":["mobile"]}"#)
            #expect(settings.status == .ok, "\(settings)")
            let started = try await env.api.post("enterprises/\(enterprise.id)/sync").decode(AdminAPIFeishuTests.SyncStartBody.self)
            _ = try await AdminAPIFeishuTests.waitForRun(env, enterprise: enterprise.id, id: started.run.id)
            let bindings = try await env.api.get("enterprises/\(enterprise.id)/bindings").items(Binding.self)
            #expect(bindings.map(\.oaUserID) == ["7"] && bindings.first?.field == "mobile")
            let audit = try await env.api.get("audit?action=binding.auto").items(AuditEntry.self)
            #expect(audit.first?.actor == "sync")
        }
    }
}
