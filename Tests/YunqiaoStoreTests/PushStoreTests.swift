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

    // MARK: worker

    @Test func claimsAreLeasedOnceTakenOverWhenTheLeaseRunsOutAndOutcomesRecorded() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo")])
        let accepted = try await f.accept(Self.message("wf-2", todo: .init(id: "wf-2")))
        let now = Date()
        let jobs = try await f.database.outbox.claimDueDeliveries(limit: 10, now: now, lease: f.lease)
        #expect(jobs.count == 2)
        #expect(jobs.allSatisfy { $0.todoState == .pending && $0.type == .todo && $0.unionID != nil && $0.attempts == 0 })
        // Held: neither this worker nor another one gets them again while the lease holds …
        let other = OutboxLease(owner: "worker-2", duration: 60)
        #expect(try await f.database.outbox.claimDueDeliveries(limit: 10, now: now, lease: f.lease).isEmpty)
        #expect(try await f.database.outbox.claimDueDeliveries(limit: 10, now: now.addingTimeInterval(59), lease: other).isEmpty)
        // … a renewed lease holds longer …
        #expect(try await f.database.outbox.renewOutboxLeases(f.lease, now: now.addingTimeInterval(30)) == 2)
        #expect(try await f.database.outbox.claimDueDeliveries(limit: 10, now: now.addingTimeInterval(61), lease: other).isEmpty)
        // … and once it ran out (the worker died), another worker takes them over (a delivery counts failed attempts only).
        let later = now.addingTimeInterval(91)
        let again = try await f.database.outbox.claimDueDeliveries(limit: 10, now: later, lease: other)
        #expect(again.map(\.id) == jobs.map(\.id) && again.allSatisfy { $0.attempts == 0 })
        // What the first worker records now is dropped: the deliveries are the second one's.
        try await f.database.outbox.finishDeliveries([(jobs[0].id, .dead(error: "too late"))], lease: f.lease, at: later)
        #expect(try await f.database.messages.messageDetail(tenantId: f.tenant, id: accepted.id).deliveries.allSatisfy { $0.delivery.state == "pending" })

        let retryAt = later.addingTimeInterval(30)
        try await f.database.outbox.finishDeliveries([(again[0].id, .retry(at: retryAt, error: "Feishu error 230020: too fast")),
                                               (again[1].id, .sent(feishuMessageID: "om_1", renderedState: .pending, note: nil))],
                                              lease: other, at: later)
        #expect(try await f.database.outbox.claimDueDeliveries(limit: 10, now: later, lease: other).isEmpty)
        #expect(try await f.database.outbox.nextPushDue().map { abs($0.timeIntervalSince(retryAt)) < 0.01 } == true)
        let retried = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: retryAt, lease: other).first)
        #expect(retried.attempts == 1)
        try await f.database.outbox.finishDeliveries([(retried.id, .dead(error: "code 230013"))], lease: other, at: retryAt)

        let detail = try await f.database.messages.messageDetail(tenantId: f.tenant, id: accepted.id)
        #expect(detail.deliveries.map(\.delivery.state) == ["dead", "sent"])
        #expect(detail.deliveries[0].delivery.attempts == 2 && detail.deliveries[0].delivery.lastError == "code 230013")
        #expect(detail.deliveries[1].delivery.feishuMessageID == "om_1" && detail.deliveries[1].delivery.sentAt != nil)
        #expect(detail.deliveries.allSatisfy { $0.delivery.leaseOwner == nil && $0.delivery.leaseExpiresAt == nil })
    }

    @Test func aReleasedClaimIsDueAgainAsItWas() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "text")])
        _ = try await f.accept(Self.message("rel", to: ["u1"]))
        let now = Date()
        let job = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: now, lease: f.lease).first)
        try await f.database.outbox.finishDeliveries([(job.id, .released)], lease: f.lease, at: now)
        let again = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: now, lease: f.lease).first)
        #expect(again.id == job.id && again.attempts == 0)
    }

    @Test func aCardSentWhileItsTodoChangedGetsAnUpdate() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo")])
        _ = try await f.accept(Self.message("wf-3", to: ["u1"], todo: .init(id: "wf-3")))
        let job = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: f.lease).first)
        // The todo is handled while the card is on its way (rendered pending): no sent card yet, so no update queued …
        let change = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-3", state: .done, by: "张三", at: Date())
        #expect(change.changed && change.cardUpdates == 0)
        // … until the send is recorded: then one.
        try await f.database.outbox.finishDeliveries([(job.id, .sent(feishuMessageID: "om_3", renderedState: .pending, note: nil))], lease: f.lease, at: Date())
        let cards = try await f.database.outbox.claimDueCardUpdates(limit: 10, now: Date(), lease: f.lease)
        #expect(cards.map(\.deliveryId) == [job.id])
        #expect(cards.first?.todoState == .done && cards.first?.feishuMessageID == "om_3")
    }

    /// A failed quick approval puts the pending style back outside the queue; a todo made final meanwhile must get its
    /// final style after that PATCH, never before it.
    @Test func aHeldCardLetsItsFinalUpdateGoOnlyAfterTheHold() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo")])
        _ = try await f.accept(Self.message("wf-5", to: ["u1"], todo: .init(id: "wf-5")))
        let job = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: f.lease).first)
        try await f.database.outbox.finishDeliveries([(job.id, .sent(feishuMessageID: "om_5", renderedState: .pending, note: nil))], lease: f.lease, at: Date())

        #expect(try await f.database.outbox.holdCard(deliveryId: job.id, lease: f.lease))
        #expect(try await f.database.outbox.holdCard(deliveryId: job.id, lease: f.lease) == false, "one hold at a time")
        let change = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-5", state: .approved, by: "李经理", at: Date())
        #expect(change.cardUpdates == 1)
        #expect(try await f.database.outbox.claimDueCardUpdates(limit: 10, now: Date(), lease: f.lease).isEmpty, "the final style waits for the hold")
        try await f.database.outbox.releaseCard(deliveryId: job.id, lease: f.lease)
        let cards = try await f.database.outbox.claimDueCardUpdates(limit: 10, now: Date(), lease: f.lease)
        #expect(cards.map(\.deliveryId) == [job.id] && cards.first?.todoState == .approved)
        // A final todo's card is not put back to pending at all.
        #expect(try await f.database.outbox.holdCard(deliveryId: job.id, lease: f.lease) == false)

        // A hold with nothing queued leaves nothing behind.
        _ = try await f.accept(Self.message("wf-6", to: ["u1"], todo: .init(id: "wf-6")))
        let other = try #require(try await f.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: f.lease).first)
        try await f.database.outbox.finishDeliveries([(other.id, .sent(feishuMessageID: "om_6", renderedState: .pending, note: nil))], lease: f.lease, at: Date())
        #expect(try await f.database.outbox.holdCard(deliveryId: other.id, lease: f.lease))
        try await f.database.outbox.releaseCard(deliveryId: other.id, lease: f.lease)
        #expect(try await f.database.outbox.holdCard(deliveryId: other.id, lease: f.lease), "released: can be held again")
        try await f.database.outbox.releaseCard(deliveryId: other.id, lease: f.lease)
        #expect(try await f.database.outbox.claimDueCardUpdates(limit: 10, now: Date(), lease: f.lease).isEmpty)
    }

    // MARK: todos

    @Test func aFinalTodoStateIsFinal() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo"), .init(enterpriseId: f.e1, appId: f.a2, type: "card")])
        _ = try await f.accept(Self.message("wf-4", todo: .init(id: "wf-4")))
        let jobs = try await f.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: f.lease)
        try await f.database.outbox.finishDeliveries(jobs.map { ($0.id, .sent(feishuMessageID: "om_\($0.id)", renderedState: .pending, note: nil)) },
                                              lease: f.lease, at: Date())

        await #expect(throws: TodoChangeError.notFound(source: "approval", todoId: "nope")) {
            _ = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "nope", state: .done, by: "x", at: Date())
        }
        #expect(await Self.field {
            _ = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-4", state: .pending, by: "x", at: Date())
        } == "state")
        #expect(await Self.field {
            _ = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-4", state: .approved, by: " ", at: Date())
        } == "by")
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        let approved = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-4", state: .approved, by: "李经理", at: at)
        // Only the todo cards (A1, two recipients) are updated, not A2's plain cards.
        #expect(approved.changed && approved.cardUpdates == 2)
        #expect(approved.todo.actor == "李经理" && approved.todo.at == at)
        let same = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-4", state: .approved, by: "someone", at: Date())
        #expect(!same.changed && same.cardUpdates == 0 && same.todo.actor == "李经理")
        await #expect(throws: TodoChangeError.self) {
            _ = try await f.database.messages.changeTodo(tenantId: f.tenant, source: "approval", todoId: "wf-4", state: .rejected, by: "x", at: Date())
        }
        // Another tenant does not see the todo.
        let other = try #require(try await f.database.integration.tenant(named: "other").id)
        await #expect(throws: TodoChangeError.notFound(source: "approval", todoId: "wf-4")) {
            _ = try await f.database.messages.changeTodo(tenantId: other, source: "approval", todoId: "wf-4", state: .approved, by: "x", at: Date())
        }
    }

    // MARK: log and dead letters

    @Test func theLogSearchesAndDeadLettersAreResent() async throws {
        let f = try await Fixture.make()
        try await f.rule("r", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "text")])
        let first = try await f.accept(Self.message("m-1", to: ["u1"]))
        var second = Self.message("m-2", source: "daily", to: ["u2", "u3"])
        second.title = "日报提醒"
        let secondAccepted = try await f.accept(second)

        func ids(_ filter: MessageFilter) async throws -> [Int64] {
            try await f.database.messages.messageLog(tenantId: f.tenant, filter: filter).items.compactMap(\.message.id)
        }
        #expect(try await ids(.init()) == [secondAccepted.id, first.id])
        #expect(try await ids(.init(source: "approval")) == [first.id])
        #expect(try await ids(.init(recipient: "u3")) == [secondAccepted.id])
        #expect(try await ids(.init(state: .skipped)) == [secondAccepted.id])
        #expect(try await ids(.init(text: "日报")) == [secondAccepted.id])
        #expect(try await ids(.init(text: "m-1")) == [first.id])
        let page = try await f.database.messages.messageLog(tenantId: f.tenant, filter: .init(limit: 1, offset: 1))
        #expect(page.total == 2 && page.items.map(\.message.id) == [first.id])
        #expect(page.items.first?.counts == [.pending: 1])

        let jobs = try await f.database.outbox.claimDueDeliveries(limit: 10, now: Date(), lease: f.lease)
        try await f.database.outbox.finishDeliveries(jobs.map { ($0.id, .dead(error: "Feishu error 230013: no availability")) }, lease: f.lease, at: Date())
        let dead = try await f.database.messages.deadLetters(tenantId: f.tenant)
        #expect(dead.total == 2 && dead.items.allSatisfy { $0.kind == "delivery" })
        let one = try #require(dead.items.first?.delivery.delivery.id)
        let resent = try await f.database.messages.resendDelivery(tenantId: f.tenant, id: one, by: Self.admin)
        #expect(resent.deliveryState == .pending && resent.attempts == 0 && resent.uuid == dead.items.first?.delivery.delivery.uuid)
        #expect(try await f.database.messages.resendDeadLetters(tenantId: f.tenant, by: Self.admin) == 1)
        #expect(try await f.database.messages.deadLetters(tenantId: f.tenant).total == 0)
        await #expect(throws: YunqiaoDatabase.StoreError.self) {
            _ = try await f.database.messages.resendDelivery(tenantId: f.tenant, id: one, by: Self.admin)
        }
        // A skipped delivery is resent once its recipient is bound.
        let skipped = try #require(try await f.database.messages.messageDetail(tenantId: f.tenant, id: secondAccepted.id).deliveries
            .first { $0.delivery.deliveryState == .skipped }?.delivery.id)
        await #expect(throws: YunqiaoDatabase.StoreError.self) {
            _ = try await f.database.messages.resendDelivery(tenantId: f.tenant, id: skipped, by: Self.admin)
        }
        try await f.database.bindings.bind(tenantId: f.tenant, enterpriseId: f.e1, oaUserID: "u3", unionID: "on_3", method: "manual",
                                  signedIn: SignedInFeishuUser(openID: nil, userID: nil, name: "王五"), by: Self.admin)
        let bound = try await f.database.messages.resendDelivery(tenantId: f.tenant, id: skipped, by: Self.admin)
        #expect(bound.deliveryState == .pending && bound.unionID == "on_3")
        let actions = try await f.database.admins.auditLog(tenantId: f.tenant).map(\.action)
        #expect(actions.filter { $0.hasPrefix("delivery.") } == ["delivery.resend", "delivery.resendAll", "delivery.resend"])

        // Another tenant sees none of it.
        let other = try #require(try await f.database.integration.tenant(named: "other").id)
        #expect(try await f.database.messages.messageLog(tenantId: other, filter: .init()).total == 0)
        await #expect(throws: YunqiaoDatabase.StoreError.notFound("message \(first.id)")) {
            _ = try await f.database.messages.messageDetail(tenantId: other, id: first.id)
        }
        await #expect(throws: YunqiaoDatabase.StoreError.notFound("delivery \(one)")) {
            _ = try await f.database.messages.resendDelivery(tenantId: other, id: one, by: Self.admin)
        }
    }

    @Test func aTestSendPlansOneDeliveryToABoundUser() async throws {
        let f = try await Fixture.make()
        let rule = try await f.rule("全部", source: "*", [.init(enterpriseId: f.e1, appId: f.a1, type: "todo", quickApproval: true)])
        let ruleId = try #require(rule.rule.id), targetId = try #require(rule.targets.first?.record.id)
        #expect(await Self.field {
            _ = try await f.database.messages.planTestMessage(tenantId: f.tenant, ruleId: ruleId, targetId: targetId, oaUserID: "u3", by: Self.admin)
        } == "oaUserID")
        #expect(await Self.field {
            _ = try await f.database.messages.planTestMessage(tenantId: f.tenant, ruleId: ruleId, targetId: targetId, oaUserID: "u9", by: Self.admin)
        } == "oaUserID")
        let (message, deliveryId) = try await f.database.messages.planTestMessage(tenantId: f.tenant, ruleId: ruleId, targetId: targetId, oaUserID: "u1",
                                                                          by: Self.admin)
        let detail = try await f.database.messages.messageDetail(tenantId: f.tenant, id: try #require(message.id))
        #expect(detail.deliveries.map(\.delivery.id) == [deliveryId])
        #expect(detail.deliveries.first?.delivery.type == "todo" && detail.deliveries.first?.delivery.quickApproval == true)
        let payload = try message.message()
        #expect(payload.todo?.quickActions == [.approve, .reject] && payload.source == "yunqiao.test")
        #expect(try await f.database.admins.auditLog(tenantId: f.tenant).first?.action == "pushRule.testSend")
    }
}
