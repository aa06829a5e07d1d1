import Foundation
import Testing
import YunqiaoCore
import YunqiaoStore

@Suite struct YunqiaoDatabaseTests {
    @Test func secretsAreSealedAtRestAndMaskedForDisplay() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try await database.integration.tenant()
        let enterprise = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "飞书企业", brand: "feishu",
                                                                         baseURL: "https://open.feishu.cn")
        let app = try await database.integration.addApp(enterpriseId: enterprise.id ?? 0, name: "OA", appID: "cli_1", appSecret: "super-secret-value")
        #expect(!app.sealedSecret.contains("super-secret"))
        #expect(try database.integration.secret(of: app) == "super-secret-value")
        #expect(maskSecret("super-secret-value") == "••••••••alue")
        #expect(maskSecret("abc") == "•••")
    }

    @Test func keyFileIsCreatedOnceAndReused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("yq-key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try SecretBox.load(environment: [:], keyFile: path)
        let sealed = try first.seal("hello")
        let second = try SecretBox.load(environment: [:], keyFile: path)
        #expect(try second.open(sealed) == "hello")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(throws: SecretBox.KeyError.self) { _ = try SecretBox.load(environment: ["YUNQIAO_SECRET_KEY": "short"], keyFile: path) }
    }

    @Test func badEnterpriseInputNamesTheField() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try await database.integration.tenant()
        await #expect(throws: YunqiaoDatabase.StoreError.invalid(field: "baseURL", message: "must be an absolute http(s) URL, e.g. https://example.com")) {
            _ = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "x", brand: "feishu", baseURL: "open.feishu.cn")
        }
        await #expect(throws: YunqiaoDatabase.StoreError.invalid(field: "brand", message: "must be feishu or lark")) {
            _ = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "x", brand: "dingtalk", baseURL: "https://a.b")
        }
        _ = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "x", brand: "lark", baseURL: "https://open.larksuite.com")
        await #expect(throws: YunqiaoDatabase.StoreError.conflict(field: "name", message: "an enterprise named x already exists")) {
            _ = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "x", brand: "lark", baseURL: "https://open.larksuite.com")
        }
    }

    @Test func applyingAPlanRoundTripsAndMarksDeletions() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try await database.integration.tenant()
        let enterprise = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "e", brand: "feishu", baseURL: "https://x.y")
        let id = try #require(enterprise.id)
        let department = MirrorDepartment(openDepartmentID: "od-1", departmentID: "D1", name: "研发", parentOpenDepartmentID: "0", order: 10)
        let user = MirrorUser(unionID: "on_1", openID: "ou_1", userID: "u1", name: "张三", mobile: "+8613800000000",
                              departmentIDs: ["od-1", "0"], status: nil)
        var plan = SyncPlan()
        plan.departments.created = [department]
        plan.users.created = [user]
        try await database.mirror.apply(plan, enterpriseId: id)
        let mirror = try await database.mirror.directory(enterpriseId: id)
        #expect(mirror.departments["od-1"] == department)
        #expect(mirror.users["on_1"] == user)
        #expect(try await database.mirror.users(inDepartment: "0", enterpriseId: id).map(\.unionID) == ["on_1"])

        var deletion = SyncPlan()
        deletion.users.deleted = ["on_1"]
        try await database.mirror.apply(deletion, enterpriseId: id)
        #expect(try await database.mirror.directory(enterpriseId: id).users.isEmpty)
        #expect(try await database.mirror.deletedAt(enterpriseId: id).users["on_1"] != nil)
        #expect(try await database.mirror.users(inDepartment: "od-1", enterpriseId: id).isEmpty)

        // Coming back (e.g. resurrected) revives the row.
        try await database.mirror.apply(plan, enterpriseId: id)
        #expect(try await database.mirror.directory(enterpriseId: id).users["on_1"] == user)
        #expect(try await database.mirror.deletedAt(enterpriseId: id).users["on_1"] == nil)
    }

    @Test func syncRunsKeepTheirReport() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try await database.integration.tenant()
        let enterprise = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "e", brand: "feishu", baseURL: "https://x.y")
        let run = try await database.mirror.startSyncRun(enterpriseId: enterprise.id ?? 0, kind: "feishu")
        var report = SyncReport()
        report.status = .failed
        report.error = "boom"
        try await database.mirror.finishSyncRun(run, report: report)
        let runs = try await database.mirror.syncRuns(enterpriseId: enterprise.id ?? 0)
        #expect(runs.count == 1)
        #expect(runs[0].status == "failed")
        #expect(runs[0].decodedReport == report)
        #expect(runs[0].finishedAt != nil)
    }
}
