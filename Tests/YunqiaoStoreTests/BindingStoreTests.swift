import Foundation
import Testing
import YunqiaoCore
import YunqiaoStore

@Suite struct BindingStoreTests {
    @Test func autoBindWritesBindingsAndTheConflictQueueInOneGo() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try #require(try await database.integration.tenant().id)
        let enterprise = try #require(try await database.integration.createEnterprise(tenantId: tenant, name: "E", brand: "feishu",
                                                                                      baseURL: "https://open.feishu.cn").id)
        var plan = SyncPlan()
        plan.users.created = [
            MirrorUser(unionID: "on_1", openID: "ou_1", userID: "u1", name: "张三", mobile: "+8613800000001", employeeNo: "E1"),
            MirrorUser(unionID: "on_2", openID: "ou_2", name: "李四", mobile: "+8613800000002"),
            MirrorUser(unionID: "on_3", openID: "ou_3", name: "王五", email: "WANG@x.cn"),
        ]
        try await database.mirror.apply(plan, enterpriseId: enterprise)
        try await database.oaDirectory.upsertOAUsers([
            OAUserRecord(tenantId: tenant, oaID: "100", loginID: "zhangsan", name: "张三", employeeNo: "e1"),
            OAUserRecord(tenantId: tenant, oaID: "200", loginID: "lisi", name: "李四", mobile: "138 0000 0002"),
            OAUserRecord(tenantId: tenant, oaID: "201", loginID: "lisi2", name: "李四二", mobile: "+86 13800000002"),
            OAUserRecord(tenantId: tenant, oaID: "300", loginID: "wangwu", name: "王五", email: "wang@x.cn", status: "left"),
        ])
        let result = try await database.bindings.autoBind(tenantId: tenant, enterpriseId: enterprise, fields: [.employeeNo, .mobile, .email],
                                                          by: AuditActor("alice"))
        #expect(result.bound == 1 && result.conflicts == 1 && result.unmatched == 1)
        let bindings = try await database.bindings.all(enterpriseId: enterprise)
        #expect(bindings.map { [$0.oaUserID, $0.unionID, $0.openID ?? "", $0.method, $0.field ?? ""] } == [["100", "on_1", "ou_1", "auto", "employeeNo"]])
        let conflicts = try await database.bindings.bindingConflicts(enterpriseId: enterprise)
        #expect(conflicts.map { [$0.unionID, $0.kind, $0.oaUserIDs] } == [["on_2", "ambiguous", #"["200","201"]"#]])
        // A second pass keeps the binding, binds nothing new and rebuilds the same queue.
        let again = try await database.bindings.autoBind(tenantId: tenant, enterpriseId: enterprise, fields: [.employeeNo, .mobile, .email],
                                                         by: AuditActor("alice"))
        #expect(again.bound == 0 && again.conflicts == 1)
        #expect(try await database.bindings.all(enterpriseId: enterprise).count == 1)
        let audit = try await database.admins.auditLog(tenantId: tenant, filter: AuditFilter(action: "binding"))
        #expect(audit.count == 2 && audit.first?.actor == "alice")
        await #expect(throws: YunqiaoDatabase.StoreError.invalid(field: "fields", message: "choose at least one field")) {
            try await database.bindings.autoBind(tenantId: tenant, enterpriseId: enterprise, fields: [], by: AuditActor("alice"))
        }
    }

    /// Auto-bind at one user's first visit: only that user is bound; a value two Feishu users share binds neither.
    @Test func autoBindOneUserAndBindASignedInUserTheMirrorLacks() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try #require(try await database.integration.tenant().id)
        let enterprise = try #require(try await database.integration.createEnterprise(tenantId: tenant, name: "E", brand: "feishu",
                                                                                      baseURL: "https://open.feishu.cn").id)
        var plan = SyncPlan()
        plan.users.created = [
            MirrorUser(unionID: "on_1", openID: "ou_1", userID: "u1", name: "张三", mobile: "+8613800000001"),
            MirrorUser(unionID: "on_2", openID: "ou_2", name: "李四", mobile: "+8613800000002"),
            MirrorUser(unionID: "on_3", openID: "ou_3", name: "王五", email: "same@x.cn"),
            MirrorUser(unionID: "on_4", openID: "ou_4", name: "赵六", email: "SAME@x.cn"),
        ]
        try await database.mirror.apply(plan, enterpriseId: enterprise)
        try await database.oaDirectory.upsertOAUsers([
            OAUserRecord(tenantId: tenant, oaID: "100", loginID: "zhangsan", name: "张三", mobile: "13800000001"),
            OAUserRecord(tenantId: tenant, oaID: "200", loginID: "lisi", name: "李四", mobile: "13800000002"),
            OAUserRecord(tenantId: tenant, oaID: "300", loginID: "same", name: "同邮箱", email: "same@x.cn"),
            OAUserRecord(tenantId: tenant, oaID: "400", loginID: "newcomer", name: "新人"),
        ])
        let fields: [BindingField] = [.mobile, .email]
        let one = try await database.bindings.autoBindUser(tenantId: tenant, enterpriseId: enterprise, unionID: "on_1", fields: fields,
                                                           by: AuditActor("feishu:on_1"))
        #expect(one?.oaUserID == "100" && one?.method == "auto" && one?.field == "mobile" && one?.openID == "ou_1")
        #expect(try await database.bindings.all(enterpriseId: enterprise).map(\.unionID) == ["on_1"])
        #expect(try await database.bindings.binding(enterpriseId: enterprise, unionID: "on_1")?.oaUserID == "100")
        // Bound already: the same binding, nothing written.
        #expect(try await database.bindings.autoBindUser(tenantId: tenant, enterpriseId: enterprise, unionID: "on_1", fields: fields,
                                                         by: AuditActor("x"))?.oaUserID == "100")
        // Contested (two Feishu users, one OA user): nobody.
        #expect(try await database.bindings.autoBindUser(tenantId: tenant, enterpriseId: enterprise, unionID: "on_3", fields: fields,
                                                         by: AuditActor("x")) == nil)
        let audit = try await database.admins.auditLog(tenantId: tenant, filter: AuditFilter(action: "binding.auto"))
        #expect(audit.count == 1 && audit.first?.actor == "feishu:on_1")

        // A user who signed in with Feishu but is not in the mirror yet binds with the ids the login vouched for.
        await #expect(throws: YunqiaoDatabase.StoreError.self) {
            try await database.bindings.bind(tenantId: tenant, enterpriseId: enterprise, oaUserID: "400", unionID: "on_new", method: "manual",
                                             by: AuditActor("oa:newcomer"))
        }
        let signedIn = try await database.bindings.bind(tenantId: tenant, enterpriseId: enterprise, oaUserID: "400", unionID: "on_new", method: "manual",
                                                        signedIn: SignedInFeishuUser(openID: "ou_new", userID: nil, name: "新人"),
                                                        by: AuditActor("oa:newcomer"))
        #expect(signedIn.openID == "ou_new" && signedIn.method == "manual")
        // The mirror wins when it has the user.
        let listed = try await database.bindings.bind(tenantId: tenant, enterpriseId: enterprise, oaUserID: "200", unionID: "on_2", method: "manual",
                                                      signedIn: SignedInFeishuUser(openID: "ou_other_app", userID: nil, name: "?"),
                                                      by: AuditActor("oa:lisi"))
        #expect(listed.openID == "ou_2")
    }

    @Test func takePersistedHandsAValueOutOnce() async throws {
        let database = try YunqiaoDatabase.inMemory()
        try await database.admins.persist(key: "k", value: Data("v".utf8), expiresAt: Date(timeIntervalSinceNow: 60))
        #expect(try await database.admins.takePersisted(key: "k") == Data("v".utf8))
        #expect(try await database.admins.takePersisted(key: "k") == nil)
        try await database.admins.persist(key: "old", value: Data("v".utf8), expiresAt: Date(timeIntervalSinceNow: -1))
        #expect(try await database.admins.takePersisted(key: "old") == nil)
        #expect(try await database.admins.persistedValue(key: "old") == nil)
    }
}
