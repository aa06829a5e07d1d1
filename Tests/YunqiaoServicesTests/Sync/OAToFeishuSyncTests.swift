import AsyncHTTPClient
import FeishuEmulator
import FeishuKit
import Foundation
import Logging
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoStore
@testable import YunqiaoServices

/// Sync mode 3 against the emulator (issue #14): read-only refuses, a preview writes nothing, a plan that deletes is
/// parked until approved, the apply creates, moves, updates and disables in Feishu and binds the users it creates,
/// Feishu's refusals fail their item only, a second run finds the departments the first made, and an apply resumed
/// after a crash creates nothing twice.
@Suite(.timeLimit(.minutes(2)))
struct OAToFeishuSyncTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func sync(_ env: SyncEnvironment) -> OAToFeishuSync {
        OAToFeishuSync(database: env.database, clients: FeishuClients(httpClient: .shared, retry: SyncEnvironment.fastRetry, logger: logger),
                       logger: logger)
    }

    /// The OA: 测试企业 (the enterprise's name: the Feishu root) → 总部 → 研发中心 → 新部门. 张三 is Feishu's `mover`
    /// (bound), now 架构师 in 新部门; 李四 is new in 研发中心; 王五 (Feishu's `leaver`, bound) has left.
    static func prepare(_ env: SyncEnvironment, writable: Bool = true) async throws -> (tenantId: Int64, enterpriseId: Int64) {
        let tenantId = try await env.database.integration.tenant().id ?? 0
        let enterpriseId = env.enterprise.id ?? 0
        _ = try await env.run()
        try await env.database.oaDirectory.importOADirectory(
            tenantId: tenantId,
            departments: [.init(oaID: "T", name: "测试企业"), .init(oaID: "A", name: "总部", parentOaID: "T"),
                          .init(oaID: "B", name: "研发中心", parentOaID: "A"), .init(oaID: "C", name: "新部门", parentOaID: "B")],
            users: [.init(oaID: "u1", loginID: "zhangsan", name: "调动者", mobile: "+8613900000005", title: "架构师", departmentOaIDs: ["C"]),
                    .init(oaID: "u2", loginID: "lisi", name: "李四", mobile: "+8613911110002", email: "lisi@example.com", departmentOaIDs: ["B"]),
                    .init(oaID: "u3", loginID: "wangwu", name: "离职者", mobile: "+8613900000006", departmentOaIDs: ["B"])],
            mode: .merge, source: .sheet, by: .cli, at: Date())
        let mirror = try await env.mirror()
        for (oaID, userID) in [("u1", "mover"), ("u3", "leaver")] {
            let union = try #require(mirror.users.values.first { $0.userID == userID }?.unionID)
            if try await env.database.bindings.binding(enterpriseId: enterpriseId, unionID: union) == nil {
                try await env.database.bindings.bind(tenantId: tenantId, enterpriseId: enterpriseId, oaUserID: oaID, unionID: union,
                                                     method: "card", field: nil, signedIn: nil, by: .cli)
            }
        }
        // 王五 leaves the OA once bound.
        try await env.database.oaDirectory.importOADirectory(
            tenantId: tenantId, departments: [],
            users: [.init(oaID: "u3", loginID: "wangwu", name: "离职者", mobile: "+8613900000006", departmentOaIDs: ["B"], status: "left")],
            mode: .merge, source: .sheet, by: .cli, at: Date())
        var settings = OAToFeishuSettings.standard
        settings.writable = writable
        try await env.database.oaToFeishu.setOAToFeishuSettings(tenantId: tenantId, enterpriseId: enterpriseId, settings, by: .cli)
        return (tenantId, enterpriseId)
    }

    /// ``prepare(_:writable:)``, mounted under a Feishu department of its own (`OA 组织`: nothing of Feishu's to delete),
    /// with `change` applied to the settings.
    static func prepareMounted(_ env: SyncEnvironment, _ change: (inout OAToFeishuSettings) -> Void = { _ in }) async throws
        -> (tenantId: Int64, enterpriseId: Int64)
    {
        let (tenantId, enterpriseId) = try await prepare(env)
        var settings = try await env.database.oaToFeishu.oaToFeishuSettings(enterpriseId: enterpriseId)
        settings.topDepartmentID = try await env.admin.createDepartment(name: "OA 组织", parent: "0", clientToken: UUID().uuidString)
            .openDepartmentID
        change(&settings)
        _ = try await env.run()
        try await env.database.oaToFeishu.setOAToFeishuSettings(tenantId: tenantId, enterpriseId: enterpriseId, settings, by: .cli)
        return (tenantId, enterpriseId)
    }

    static func child(_ env: SyncEnvironment, of parent: String, named name: String) async throws -> FeishuDepartment? {
        try await env.admin.departmentChildren(of: parent).collect().first { $0.name == name }
    }

    @Test func readOnlyRefusesAndAPreviewWritesNothing() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3)) { env in
            let (tenantId, enterpriseId) = try await Self.prepare(env, writable: false)
            let sync = Self.sync(env)
            await #expect(throws: YunqiaoError.conflict(field: "writable",
                                                        message: "the interface permission is read-only: set it to read-write to write to Feishu")) {
                _ = try await sync.run(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli)
            }
            let preview = try await sync.preview(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli)
            #expect(preview.status == .preview)
            let plan = try preview.decodedPlan()
            #expect(plan.departments.contains { $0.name == "新部门" && $0.action == .create })
            #expect(plan.users.contains { $0.oaID == "u2" && $0.action == .create && $0.account == "lisi" })
            #expect(try await Self.child(env, of: try await env.openDepartmentID("D2"), named: "新部门") == nil)
        }
    }

    @Test func aPlanThatDeletesIsParkedThenApprovedAndApplied() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3)) { env in
            let (tenantId, enterpriseId) = try await Self.prepare(env)
            let sync = Self.sync(env)
            // Feishu's 销售中心, 平台部, 存储组 and 空部门 are not in the OA: the plan deletes, so it waits.
            let parked = try await sync.run(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli)
            #expect(parked.status == .parked)
            let rd = try await env.openDepartmentID("D2")
            #expect(try await Self.child(env, of: rd, named: "新部门") == nil)

            let run = try await sync.approve(tenantId: tenantId, runId: try #require(parked.id), by: .cli)
            // Departments with members or sub-departments cannot go (Feishu 40159 / 40160): those items fail, the rest applies.
            #expect(run.status == .partial)
            let report = try JSONDecoder().decode(OAToFeishuReport.self, from: Data(try #require(run.report).utf8))
            #expect(report.applied["departments.create"] == 2 && report.applied["users.create"] == 1)
            #expect(report.applied["users.update"] == 1 && report.applied["users.disable"] == 1)
            #expect(report.applied["departments.delete"] == 1)  // 空部门
            #expect(report.failures.allSatisfy { $0.action == "departments.delete" })
            #expect(report.failures.contains { $0.message.description.contains("40159") })

            // In Feishu: 新部门 under 研发中心; 李四 created there with the account from the OA login; 张三 moved and
            // promoted; 王五 frozen in 已禁用用户.
            let created = try #require(try await Self.child(env, of: rd, named: "新部门"))
            let lisi = try await env.admin.user("lisi", userIDType: .userID)
            #expect(lisi.name == "李四" && lisi.departmentIDs == [rd] && lisi.email == "lisi@example.com")
            let zhang = try await env.admin.user(try await env.openID("mover"))
            #expect(zhang.jobTitle == "架构师" && zhang.departmentIDs == [created.openDepartmentID])
            let wang = try await env.admin.user(try await env.openID("leaver"))
            let disabled = try #require(try await Self.child(env, of: "0", named: "已禁用用户"))
            #expect(wang.status?.isFrozen == true && wang.departmentIDs == [disabled.openDepartmentID])
            // 李四 is bound to his OA user.
            #expect(try await env.database.bindings.boundFeishuUsers(enterpriseId: enterpriseId, oaUserIDs: ["u2"])["u2"] == lisi.unionID)

            // A second run: nothing is created again (新部门 is linked, 李四 bound); the failed deletes are planned again.
            let again = try await sync.preview(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli)
            let plan = try again.decodedPlan()
            #expect(!plan.departments.contains { $0.action == .create } && !plan.users.contains { $0.action == .create })
            #expect(plan.users.isEmpty)
        }
    }

    @Test func anApplyResumedAfterACrashCreatesNothingTwice() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3)) { env in
            let (tenantId, enterpriseId) = try await Self.prepare(env)
            var settings = try await env.database.oaToFeishu.oaToFeishuSettings(enterpriseId: enterpriseId)
            // Mounted under a department of its own: nothing to delete.
            let mount = try await env.admin.createDepartment(name: "OA 组织", parent: "0", clientToken: UUID().uuidString)
            _ = try await env.run()
            settings.topDepartmentID = mount.openDepartmentID
            try await env.database.oaToFeishu.setOAToFeishuSettings(tenantId: tenantId, enterpriseId: enterpriseId, settings, by: .cli)
            let sync = Self.sync(env)
            let plan = try await sync.plan(tenantId: tenantId, enterprise: env.enterprise)
            #expect(plan.approvalReasons.isEmpty)
            let text = String(decoding: try JSONEncoder.keepingKeys().encode(plan), as: UTF8.self)
            let run = try await env.database.oaToFeishu.createOAToFeishuRun(
                OAToFeishuRunRecord(tenantId: tenantId, enterpriseId: enterpriseId, status: .applying, plan: text, createdBy: "test",
                                    createdAt: Date()), by: .cli)
            // The process died after Feishu made the first department but before the journal said so.
            guard case .department(let first) = try #require(plan.applyOrder.first) else { Issue.record("no department first"); return }
            let step = plan.departments[first]
            _ = try await env.admin.createDepartment(name: step.name, parent: step.parent, clientToken: "yq-\(run.id ?? 0)-0")
            // At the next start the run is resumed.
            await sync.resumeApplying()
            let finished = try await env.database.oaToFeishu.oaToFeishuRun(tenantId: tenantId, id: try #require(run.id))
            #expect(finished.status == .applied, "\(finished.report ?? finished.error ?? "")")
            let named = try await env.admin.departmentChildren(of: step.parent).collect().filter { $0.name == step.name }
            #expect(named.count == 1)
            #expect(try await env.database.oaToFeishu.oaToFeishuSteps(runId: try #require(run.id)).count == plan.applyOrder.count)
        }
    }

    @Test func aFullTenantFailsTheCreateWithTheSeatLimitAndAppliesTheRest() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3)) { env in
            let (tenantId, enterpriseId) = try await Self.prepareMounted(env)
            // Every seat is taken: 李四 cannot be created.
            let taken = await env.emulator.state.setSeats(0)
            await env.emulator.state.setSeats(taken)
            let run = try await Self.sync(env).run(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli)
            #expect(run.status == .partial)
            let report = try JSONDecoder().decode(OAToFeishuReport.self, from: Data(try #require(run.report).utf8))
            let failure = try #require(report.failures.first)
            #expect(report.failures.count == 1 && failure.action == "users.create")
            #expect(failure.message.description.contains("40107"))
            #expect(report.applied["users.update"] == 1 && report.applied["users.disable"] == 1)
            #expect(try await env.database.bindings.boundFeishuUsers(enterpriseId: enterpriseId, oaUserIDs: ["u2"])["u2"] == nil)
        }
    }

    @Test func aUserFrozenByARunIsUnfrozenFromTheCardBeforeTheDelayedDelete() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3)) { env in
            let (tenantId, enterpriseId) = try await Self.prepareMounted(env) { $0.deleteDisabledAfterDays = 7 }
            let sync = Self.sync(env)
            #expect(try await sync.run(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli).status == .applied)
            let wang = try await env.admin.user(try await env.openID("leaver"))
            #expect(wang.status?.isFrozen == true)
            let union = try #require(wang.unionID)

            let admin = OAToFeishuAdmin(runner: OAToFeishuRunner(sync: sync, logger: Self.logger))
            let identity = AdminIdentity(tenantId: tenantId, name: "admin", via: .token(id: 1))
            let disabled = try #require(try await admin.disabledByRun(identity, enterpriseId: enterpriseId, unionID: union))
            #expect(disabled.deleteAt == disabled.at.addingTimeInterval(7 * 86_400))
            // Another tenant sees nothing.
            await #expect(throws: YunqiaoError.self) {
                _ = try await admin.disabledByRun(AdminIdentity(tenantId: tenantId + 1, name: "x", via: .token(id: 2)), enterpriseId: enterpriseId,
                                                  unionID: union)
            }

            try await admin.unfreeze(identity, enterpriseId: enterpriseId, unionID: union)
            #expect(try await env.admin.user(wang.openID ?? "").status?.isFrozen == false)
            #expect(try await admin.disabledByRun(identity, enterpriseId: enterpriseId, unionID: union) == nil)
            #expect(try await env.mirror().users[union]?.status?.isFrozen == false)
            #expect(try await env.database.admins.auditLog(tenantId: tenantId).contains { $0.action == "oaToFeishu.unfreeze" })
            // Only once: the second is refused, naming why.
            await #expect(throws: YunqiaoError.self) { try await admin.unfreeze(identity, enterpriseId: enterpriseId, unionID: union) }
            // The OA still says 王五 left: the next run freezes him again (the OA is the master).
            let next = try await sync.preview(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli).decodedPlan()
            #expect(next.users.contains { $0.unionID == union && $0.action == .disable })
        }
    }

    @Test func anApprovalAfterTheOAChangedParksTheNewPlanWithTheDifference() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3)) { env in
            let (tenantId, enterpriseId) = try await Self.prepare(env)
            let sync = Self.sync(env)
            let parked = try await sync.run(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli)
            #expect(parked.status == .parked)
            // Meanwhile the OA hires 赵六 and 李四 leaves again.
            try await env.database.oaDirectory.importOADirectory(
                tenantId: tenantId, departments: [],
                users: [.init(oaID: "u4", loginID: "zhaoliu", name: "赵六", mobile: "+8613911110004", departmentOaIDs: ["B"]),
                        .init(oaID: "u2", loginID: "lisi", name: "李四", mobile: "+8613911110002", departmentOaIDs: ["B"], status: "left")],
                mode: .merge, source: .sheet, by: .cli, at: Date())
            let again = try await sync.decideApproval(tenantId: tenantId, runId: try #require(parked.id), by: .cli)
            #expect(again.status == .parked && again.id != parked.id)
            #expect(try await env.database.oaToFeishu.oaToFeishuRun(tenantId: tenantId, id: try #require(parked.id)).status == .discarded)
            let difference = try #require(try again.decodedPlan().replaced)
            #expect(difference.replacesRunId == parked.id)
            #expect(difference.items.contains(.init(kind: .user, name: "赵六", before: nil, after: "create")))
            #expect(difference.items.contains(.init(kind: .user, name: "李四", before: "create", after: nil)))
            #expect(!difference.items.contains { $0.kind == .department })
            // Nothing reached Feishu; approving the new plan (nothing changed since) applies it.
            await #expect(throws: (any Error).self) { _ = try await env.admin.user("zhaoliu", userIDType: .userID) }
            let applied = try await sync.approve(tenantId: tenantId, runId: try #require(again.id), by: .cli)
            #expect(applied.status == .partial || applied.status == .applied)
            #expect(try await env.admin.user("zhaoliu", userIDType: .userID).name == "赵六")
        }
    }

    @Test func theRunnerAppliesWaitingRunsInTheBackground() async throws {
        try await SyncEnvironment.with(standardFixture(bigDepartmentMembers: 3)) { env in
            let (tenantId, enterpriseId) = try await Self.prepareMounted(env)
            let runner = OAToFeishuRunner(sync: Self.sync(env), logger: Self.logger)
            let waiting = try await runner.sync.prepare(tenantId: tenantId, enterpriseId: enterpriseId, by: .cli)
            #expect(waiting.status == .applying)
            let service = Task { try await runner.run() }
            defer { service.cancel() }
            runner.wake()
            var status = waiting.status
            for _ in 0..<200 where status == .applying {
                try await Task.sleep(for: .milliseconds(50))
                status = try await env.database.oaToFeishu.oaToFeishuRun(tenantId: tenantId, id: try #require(waiting.id)).status
            }
            #expect(status == .applied)
            #expect(try await env.admin.user("lisi", userIDType: .userID).name == "李四")
        }
    }
}
