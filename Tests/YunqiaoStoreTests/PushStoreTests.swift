import Foundation
import Testing
import YunqiaoCore
import YunqiaoStore

/// Message push in the store (issue #7): modules, rules, accept, the worker's claims, todos, the log and dead letters.
@Suite struct PushStoreTests {
    static let admin = AuditActor("alice")

    /// A tenant with two enterprises (E1: apps A1, A2; E2: app B1), OA users u1–u3 (active) and u4 (left), bindings
    /// u1, u2 in E1 and u1 in E2, and the modules `approval` and `daily`.
    struct Fixture {
        let database: YunqiaoDatabase
        let tenant: Int64
        let e1: Int64, e2: Int64
        let a1: Int64, a2: Int64, b1: Int64
        /// The worker's hold on what it claims.
        let lease = OutboxLease(owner: "worker-1", duration: 60)

        static func make() async throws -> Fixture {
            let database = try YunqiaoDatabase.inMemory()
            let tenant = try #require(try await database.integration.tenant().id)
            let e1 = try #require(try await database.integration.createEnterprise(tenantId: tenant, name: "E1", brand: "feishu",
                                                                       baseURL: "https://open.feishu.cn", by: admin).id)
            let e2 = try #require(try await database.integration.createEnterprise(tenantId: tenant, name: "E2", brand: "lark",
                                                                       baseURL: "https://open.larksuite.com", by: admin).id)
            let a1 = try #require(try await database.integration.addApp(enterpriseId: e1, name: "A1", appID: "cli_a1", appSecret: "secret-a1", by: admin).id)
            let a2 = try #require(try await database.integration.addApp(enterpriseId: e1, name: "A2", appID: "cli_a2", appSecret: "secret-a2", by: admin).id)
            let b1 = try #require(try await database.integration.addApp(enterpriseId: e2, name: "B1", appID: "cli_b1", appSecret: "secret-b1", by: admin).id)
            try await database.oaDirectory.upsertOAUsers([
                OAUserRecord(tenantId: tenant, oaID: "u1", loginID: "zhang", name: "张三"),
                OAUserRecord(tenantId: tenant, oaID: "u2", loginID: "li", name: "李四"),
                OAUserRecord(tenantId: tenant, oaID: "u3", loginID: "wang", name: "王五"),
                OAUserRecord(tenantId: tenant, oaID: "u4", loginID: "zhao", name: "赵六", status: "left"),
            ])
            for (enterprise, user, union) in [(e1, "u1", "on_1"), (e1, "u2", "on_2"), (e2, "u1", "on_b1")] {
                try await database.bindings.bind(tenantId: tenant, enterpriseId: enterprise, oaUserID: user, unionID: union, method: "manual",
                                        signedIn: SignedInFeishuUser(openID: nil, userID: nil, name: union), by: admin)
            }
            _ = try await database.pushRules.createOAModule(tenantId: tenant, key: "approval", name: "审批", actionURL: nil, actionSecret: nil, by: admin)
            _ = try await database.pushRules.createOAModule(tenantId: tenant, key: "daily", name: "日报", actionURL: nil, actionSecret: nil, by: admin)
            return Fixture(database: database, tenant: tenant, e1: e1, e2: e2, a1: a1, a2: a2, b1: b1)
        }

        @discardableResult
        func rule(_ name: String, source: String, enabled: Bool = true, _ targets: [PushTargetInput]) async throws
            -> PushRuleDetail
        {
            try await database.pushRules.createPushRule(tenantId: tenant, .init(name: name, source: source, enabled: enabled, targets: targets), by: admin)
        }

        func accept(_ message: PushMessage) async throws -> AcceptedMessage {
            try await database.messages.acceptMessage(tenantId: tenant, message, by: "oa:test")
        }
    }

    static func message(_ key: String, source: String = "approval", to recipients: [String] = ["u1", "u2"],
                        todo: PushMessage.Todo? = nil) -> PushMessage
    {
        PushMessage(source: source, idempotencyKey: key, recipients: recipients, title: "差旅申请", body: "**张三** 申请出差",
                    links: .init(pc: "https://oa.example.com/wf/1"), todo: todo)
    }

    static func field(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let YunqiaoDatabase.StoreError.invalid(field, _) {
            return field
        } catch let YunqiaoDatabase.StoreError.conflict(field?, _) {
            return field
        } catch {
            return "unexpected \(error)"
        }
    }

    // MARK: modules and rules

    @Test func modulesSealTheirSecretAuditAMaskAndKeepTheirKey() async throws {
        let f = try await Fixture.make()
        let created = try await f.database.pushRules.createOAModule(tenantId: f.tenant, key: "attendance", name: "考勤",
                                                          actionURL: "https://oa.example.com/actions", actionSecret: "action-secret-0123456789",
                                                          by: Self.admin)
        let id = try #require(created.id)
        #expect(created.sealedActionSecret?.hasPrefix("v1:") == true)
        #expect(try f.database.pushRules.actionSecret(of: created) == "action-secret-0123456789")
        #expect(f.database.pushRules.actionSecretMask(of: created) == "••••••••6789")
        // Editing without a secret keeps it; the key cannot change.
        let renamed = try await f.database.pushRules.updateOAModule(tenantId: f.tenant, id: id, key: nil, name: "考勤打卡", actionURL: nil,
                                                          actionSecret: "", by: Self.admin)
        #expect(try f.database.pushRules.actionSecret(of: renamed) == "action-secret-0123456789")
        #expect(renamed.actionURL == nil)
        #expect(await Self.field {
            _ = try await f.database.pushRules.updateOAModule(tenantId: f.tenant, id: id, key: "other", name: "x", actionURL: nil, actionSecret: nil,
                                                    by: Self.admin)
        } == "key")
        let cleared = try await f.database.pushRules.updateOAModule(tenantId: f.tenant, id: id, key: nil, name: "考勤", actionURL: nil, actionSecret: nil,
                                                          clearActionSecret: true, by: Self.admin)
        #expect(cleared.sealedActionSecret == nil)
        // Bad input names the field.
        #expect(await Self.field {
            _ = try await f.database.pushRules.createOAModule(tenantId: f.tenant, key: "approval", name: "again", actionURL: nil, actionSecret: nil,
                                                    by: Self.admin)
        } == "key")
        #expect(await Self.field {
            _ = try await f.database.pushRules.createOAModule(tenantId: f.tenant, key: "has space", name: "x", actionURL: nil, actionSecret: nil,
                                                    by: Self.admin)
        } == "key")
        #expect(await Self.field {
            _ = try await f.database.pushRules.createOAModule(tenantId: f.tenant, key: "m2", name: "x", actionURL: "ftp://x", actionSecret: nil,
                                                    by: Self.admin)
        } == "actionURL")
        #expect(await Self.field {
            _ = try await f.database.pushRules.createOAModule(tenantId: f.tenant, key: "m3", name: "x", actionURL: nil, actionSecret: "short",
                                                    by: Self.admin)
        } == "actionSecret")
        // The audit log holds masks only.
        let log = try await f.database.admins.auditLog(tenantId: f.tenant)
        #expect(log.contains { $0.action == "oaModule.create" && $0.after?.contains("••••••••6789") == true })
        #expect(!log.contains { ($0.before ?? "").contains("action-secret") || ($0.after ?? "").contains("action-secret") })

        // A module a rule takes messages from cannot go.
        try await f.rule("考勤推送", source: "attendance", [.init(enterpriseId: f.e1, appId: f.a1, type: "text")])
        await #expect(throws: YunqiaoDatabase.StoreError.inUse("module attendance is the source of push rules: 考勤推送; change or delete them first")) {
            try await f.database.pushRules.deleteOAModule(tenantId: f.tenant, id: id, by: Self.admin)
        }
    }

    @Test func rulesNameTheFieldAtFaultAndKeepTargetIds() async throws {
        let f = try await Fixture.make()
        #expect(await Self.field { try await f.rule("r", source: "nope", []) } == "source")
        #expect(await Self.field { try await f.rule("", source: "*", []) } == "name")
        #expect(await Self.field { try await f.rule("r", source: "*", [.init(enterpriseId: 999, appId: f.a1, type: "text")]) }
            == "targets[0].enterpriseId")
        #expect(await Self.field { try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.b1, type: "text")]) }
            == "targets[0].appId")
        #expect(await Self.field { try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "fax")]) }
            == "targets[0].type")
        #expect(await Self.field {
            try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "card", quickApproval: true)])
        } == "targets[0].quickApproval")
        #expect(await Self.field {
            try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "text"),
                                                .init(enterpriseId: f.e1, appId: f.a1, type: "card")])
        } == "targets[1].appId")

        let rule = try await f.rule("审批", source: "approval", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo", quickApproval: true),
                                                                 .init(enterpriseId: f.e2, appId: f.b1, type: "card")])
        #expect(await Self.field { try await f.rule("审批", source: "*", []) } == "name")
        let kept = try #require(rule.targets.first?.record.id)
        let id = try #require(rule.rule.id)
        let updated = try await f.database.pushRules.updatePushRule(tenantId: f.tenant, id: id, .init(
            name: "审批", source: "approval", enabled: false,
            targets: [.init(id: kept, enterpriseId: f.e1, appId: f.a1, type: "todo", quickApproval: false),
                      .init(enterpriseId: f.e1, appId: f.a2, type: "rich")]), by: Self.admin)
        #expect(updated.rule.enabled == false)
        #expect(updated.targets.map(\.record.id).first == kept)
        #expect(updated.targets.map(\.app.name) == ["A1", "A2"])
        #expect(updated.targets.map(\.record.type) == ["todo", "rich"])
        // Without targets the targets stay.
        let renamed = try await f.database.pushRules.updatePushRule(tenantId: f.tenant, id: id, .init(name: "审批 2", source: "*"), by: Self.admin)
        #expect(renamed.targets.count == 2 && renamed.rule.source == "*")
        #expect(await Self.field {
            _ = try await f.database.pushRules.updatePushRule(tenantId: f.tenant, id: id, .init(
                name: "审批 2", source: "*", targets: [.init(id: 99_999, enterpriseId: f.e1, appId: f.a1, type: "text")]), by: Self.admin)
        } == "targets[0].id")
        let actions = try await f.database.admins.auditLog(tenantId: f.tenant).map(\.action)
        #expect(actions.filter { $0.hasPrefix("pushRule.") } == ["pushRule.update", "pushRule.update", "pushRule.create"])
    }

    @Test func anEnterpriseOrAppATargetUsesCannotBeDeleted() async throws {
        let f = try await Fixture.make()
        try await f.rule("审批推送", source: "approval", [.init(enterpriseId: f.e2, appId: f.b1, type: "card")])
        try await f.rule("日报推送", source: "daily", [.init(enterpriseId: f.e2, appId: f.b1, type: "text")])
        await #expect(throws: YunqiaoDatabase.StoreError.inUse("enterprise E2 is a target of push rules: 审批推送, 日报推送; remove it from them first")) {
            try await f.database.integration.deleteEnterprise(tenantId: f.tenant, id: f.e2, by: Self.admin)
        }
        await #expect(throws: YunqiaoDatabase.StoreError.inUse("app B1 (cli_b1) is a target of push rules: 审批推送, 日报推送; remove it from them first")) {
            try await f.database.integration.deleteApp(tenantId: f.tenant, id: f.b1, by: Self.admin)
        }
        // An app no target uses goes.
        try await f.database.integration.deleteApp(tenantId: f.tenant, id: f.a2, by: Self.admin)
    }

    // MARK: accept

    @Test func acceptNamesTheFieldOfEveryProblem() async throws {
        let f = try await Fixture.make()
        func field(_ message: PushMessage) async -> String? { await Self.field { _ = try await f.accept(message) } }
        var message = Self.message("k")
        message.source = "nope"
        #expect(await field(message) == "source")
        message = Self.message("k", to: ["u1", "u9"])
        #expect(await field(message) == "recipients[1]")
        message = Self.message("k", to: ["u4"])
        #expect(await field(message) == "recipients[0]")
        message = Self.message("k", to: [])
        #expect(await field(message) == "recipients")
        message = Self.message("")
        #expect(await field(message) == "idempotencyKey")
        message = Self.message("k")
        message.title = String(repeating: "长", count: 201)
        #expect(await field(message) == "title")
        message = Self.message("k", todo: .init(id: "wf-1", actions: ["approve", "shout"]))
        #expect(await field(message) == "todo.actions[1]")
        #expect(try await f.database.messages.messageLog(tenantId: f.tenant, filter: .init()).total == 0)
    }

    @Test func rulesMatchBySourceOrAllAndEachAppRecipientGetsItOnce() async throws {
        let f = try await Fixture.make()
        try await f.rule("审批 → A1 待办", source: "approval", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo", quickApproval: true),
                                                                 .init(enterpriseId: f.e2, appId: f.b1, type: "card")])
        // A second rule naming A1 again (as text) and A2: A1 keeps the first rule's type.
        try await f.rule("全部 → A1/A2", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "text"),
                                                       .init(enterpriseId: f.e1, appId: f.a2, type: "rich")])
        try await f.rule("停用", source: "*", enabled: false, [.init(enterpriseId: f.e2, appId: f.b1, type: "text")])

        let accepted = try await f.accept(Self.message("wf-1", to: ["u1", "u2", "u3"], todo: .init(id: "wf-1", actions: ["approve"])))
        #expect(!accepted.repeated)
        // 3 apps × 3 recipients: A1 and A2 bind u1, u2 (u3 skipped); B1 binds u1 (u2, u3 skipped).
        #expect(accepted.planned == 5 && accepted.skipped == 4)
        let detail = try await f.database.messages.messageDetail(tenantId: f.tenant, id: accepted.id)
        let byApp = Dictionary(grouping: detail.deliveries, by: \.app.name)
        #expect(byApp["A1"]?.map(\.delivery.type) == ["todo", "todo", "todo"])
        #expect(byApp["A1"]?.allSatisfy(\.delivery.quickApproval) == true)
        #expect(byApp["A2"]?.map(\.delivery.type) == ["rich", "rich", "rich"])
        #expect(byApp["B1"]?.map(\.delivery.state) == ["pending", "skipped", "skipped"])
        #expect(byApp["B1"]?.first?.delivery.unionID == "on_b1")
        let skipped = detail.deliveries.filter { $0.delivery.deliveryState == .skipped }
        #expect(skipped.allSatisfy { $0.delivery.lastError == "not bound" && $0.delivery.unionID == nil })
        #expect(Set(detail.deliveries.map(\.delivery.uuid)).count == 9)
        #expect(detail.deliveries.allSatisfy { $0.delivery.uuid.count <= 50 && $0.delivery.uuid.hasPrefix("yq\(accepted.id)-") })
        #expect(detail.todo?.state == "pending")

        // A daily-report message only matches the rule of every module: A1 as text, A2 rich.
        let daily = try await f.accept(Self.message("d-1", source: "daily", to: ["u1"]))
        let dailyDeliveries = try await f.database.messages.messageDetail(tenantId: f.tenant, id: daily.id).deliveries
        #expect(dailyDeliveries.map { "\($0.app.name):\($0.delivery.type)" } == ["A1:text", "A2:rich"])
    }

    @Test func aRepeatedIdempotencyKeyAnswersTheFirstAnswerAndWritesNothing() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "text")])
        let first = try await f.accept(Self.message("same"))
        var changed = Self.message("same", to: ["u1", "u3"])
        changed.title = "another title"
        let again = try await f.accept(changed)
        #expect(again.id == first.id && again.planned == first.planned && again.skipped == first.skipped && again.repeated)
        #expect(try await f.database.messages.messageLog(tenantId: f.tenant, filter: .init()).total == 1)
        // The same key of another module is another message.
        let other = try await f.accept(Self.message("same", source: "daily"))
        #expect(other.id != first.id && !other.repeated)
    }
}
