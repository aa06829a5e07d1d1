import Foundation
import Testing
import YunqiaoCore
import YunqiaoStore

/// The message log, dead letters and test sends.
extension PushStoreTests {
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
