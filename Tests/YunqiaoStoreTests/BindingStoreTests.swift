import Foundation
import Testing
import YunqiaoCore
import YunqiaoStore

@Suite struct BindingStoreTests {
    @Test func autoBindWritesBindingsAndTheConflictQueueInOneGo() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try #require(try await database.tenant().id)
        let enterprise = try #require(try await database.createEnterprise(tenantId: tenant, name: "E", brand: "feishu",
                                                                          baseURL: "https://open.feishu.cn").id)
        var plan = SyncPlan()
        plan.users.created = [
            MirrorUser(unionID: "on_1", openID: "ou_1", userID: "u1", name: "张三", mobile: "+8613800000001", employeeNo: "E1"),
            MirrorUser(unionID: "on_2", openID: "ou_2", name: "李四", mobile: "+8613800000002"),
            MirrorUser(unionID: "on_3", openID: "ou_3", name: "王五", email: "WANG@x.cn"),
        ]
        try await database.apply(plan, enterpriseId: enterprise)
        try await database.upsertOAUsers([
            OAUserRecord(tenantId: tenant, oaID: "100", loginID: "zhangsan", name: "张三", employeeNo: "e1"),
            OAUserRecord(tenantId: tenant, oaID: "200", loginID: "lisi", name: "李四", mobile: "138 0000 0002"),
            OAUserRecord(tenantId: tenant, oaID: "201", loginID: "lisi2", name: "李四二", mobile: "+86 13800000002"),
            OAUserRecord(tenantId: tenant, oaID: "300", loginID: "wangwu", name: "王五", email: "wang@x.cn", status: "left"),
        ])
        let result = try await database.autoBind(tenantId: tenant, enterpriseId: enterprise, fields: [.employeeNo, .mobile, .email],
                                                 by: AuditActor("alice"))
        #expect(result.bound == 1 && result.conflicts == 1 && result.unmatched == 1)
        let bindings = try await database.bindings(enterpriseId: enterprise)
        #expect(bindings.map { [$0.oaUserID, $0.unionID, $0.openID ?? "", $0.method, $0.field ?? ""] } == [["100", "on_1", "ou_1", "auto", "employeeNo"]])
        let conflicts = try await database.bindingConflicts(enterpriseId: enterprise)
        #expect(conflicts.map { [$0.unionID, $0.kind, $0.oaUserIDs] } == [["on_2", "ambiguous", #"["200","201"]"#]])
        // A second pass keeps the binding, binds nothing new and rebuilds the same queue.
        let again = try await database.autoBind(tenantId: tenant, enterpriseId: enterprise, fields: [.employeeNo, .mobile, .email],
                                                by: AuditActor("alice"))
        #expect(again.bound == 0 && again.conflicts == 1)
        #expect(try await database.bindings(enterpriseId: enterprise).count == 1)
        let audit = try await database.auditLog(tenantId: tenant, filter: AuditFilter(action: "binding"))
        #expect(audit.count == 2 && audit.first?.actor == "alice")
        await #expect(throws: YunqiaoDatabase.StoreError.invalid(field: "fields", message: "choose at least one field")) {
            try await database.autoBind(tenantId: tenant, enterpriseId: enterprise, fields: [], by: AuditActor("alice"))
        }
    }
}
