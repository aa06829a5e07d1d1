import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// Message push in the admin API (issue #7): OA modules, push rules with their targets and test sends, the message log
/// and dead letters. Every rule (validation, refusals, audit) is the store's.
struct PushAPIController {
    let database: any BridgeStore
    let push: PushDelivery
    /// How long a test send waits for Feishu's answer before answering 202 with the delivery still pending.
    var testSendWait: Duration = .seconds(10)

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        addModuleRoutes(routes)
        addRuleRoutes(routes)
        addLogRoutes(routes)
        return routes
    }

    private func addModuleRoutes(_ routes: RouteCollection<AppRequestContext>) {
        routes.get("oa-modules") { _, context in
            Items(try await database.pushRules.oaModules(tenantId: context.admin().tenantId).map(view))
        }
        routes.post("oa-modules") { request, context in
            let admin = try context.admin()
            let input = try await request.decode(as: OAModuleInput.self, context: context)
            let module = try await database.pushRules.createOAModule(tenantId: admin.tenantId, key: input.key ?? "", name: input.name,
                                                                     actionURL: input.actionURL, actionSecret: input.actionSecret, by: admin.actor)
            return EditedResponse(status: .created, response: view(module))
        }
        routes.get("oa-modules/:id") { _, context in
            view(try await database.pushRules.oaModule(tenantId: context.admin().tenantId, id: context.id("id")))
        }
        routes.put("oa-modules/:id") { request, context in
            let admin = try context.admin()
            let input = try await request.decode(as: OAModuleInput.self, context: context)
            return view(try await database.pushRules.updateOAModule(tenantId: admin.tenantId, id: context.id("id"), key: input.key, name: input.name,
                                                                    actionURL: input.actionURL, actionSecret: input.actionSecret,
                                                                    clearActionSecret: input.clearActionSecret ?? false, by: admin.actor))
        }
        routes.delete("oa-modules/:id") { _, context in
            let admin = try context.admin()
            try await database.pushRules.deleteOAModule(tenantId: admin.tenantId, id: context.id("id"), by: admin.actor)
            return HTTPResponse.Status.noContent
        }
    }

    private func addRuleRoutes(_ routes: RouteCollection<AppRequestContext>) {
        routes.get("push-rules") { _, context in
            Items(try await database.pushRules.all(tenantId: context.admin().tenantId).map(PushRuleView.init))
        }
        routes.post("push-rules") { request, context in
            let admin = try context.admin()
            let input = try await request.decode(as: PushRuleInput.self, context: context)
            let rule = try await database.pushRules.createPushRule(tenantId: admin.tenantId, input, by: admin.actor)
            return EditedResponse(status: .created, response: PushRuleView(rule))
        }
        routes.get("push-rules/:id") { _, context in
            PushRuleView(try await database.pushRules.pushRule(tenantId: context.admin().tenantId, id: context.id("id")))
        }
        routes.put("push-rules/:id") { request, context in
            let admin = try context.admin()
            let input = try await request.decode(as: PushRuleInput.self, context: context)
            return PushRuleView(try await database.pushRules.updatePushRule(tenantId: admin.tenantId, id: context.id("id"), input, by: admin.actor))
        }
        routes.delete("push-rules/:id") { _, context in
            let admin = try context.admin()
            try await database.pushRules.deletePushRule(tenantId: admin.tenantId, id: context.id("id"), by: admin.actor)
            return HTTPResponse.Status.noContent
        }
        routes.post("push-rules/:id/targets/:target/test-send") { request, context in
            try await testSend(request, context)
        }
    }

    private func addLogRoutes(_ routes: RouteCollection<AppRequestContext>) {
        routes.get("messages") { request, context in
            let admin = try context.admin()
            let query = request.uri.queryParameters
            var state: DeliveryState?
            if let text = query.get("state"), !text.isEmpty {
                guard let value = DeliveryState(rawValue: text) else { throw APIError.invalid("state", "must be pending, sent, dead or skipped") }
                state = value
            }
            let (limit, offset) = try Self.page(query)
            let page = try await database.messages.messageLog(tenantId: admin.tenantId, filter: .init(
                source: query.get("source"), recipient: query.get("recipient"), state: state, text: query.get("q"), limit: limit, offset: offset))
            return MessagePageView(total: page.total, items: page.items.map(MessageSummaryView.init))
        }
        routes.get("messages/:id") { _, context in
            MessageDetailView(try await database.messages.messageDetail(tenantId: context.admin().tenantId, id: context.id("id")))
        }
        routes.get("dead-letters") { request, context in
            let (limit, offset) = try Self.page(request.uri.queryParameters)
            let page = try await database.messages.deadLetters(tenantId: context.admin().tenantId, limit: limit, offset: offset)
            return DeadLetterPageView(total: page.total, items: page.items.map(DeadLetterView.init))
        }
        routes.post("dead-letters/resend") { _, context in
            let admin = try context.admin()
            let count = try await database.messages.resendDeadLetters(tenantId: admin.tenantId, by: admin.actor, at: Date())
            push.wake()
            return Resent(resent: count)
        }
        routes.post("deliveries/:id/resend") { _, context in
            let admin = try context.admin()
            let id = try context.id("id")
            _ = try await database.messages.resendDelivery(tenantId: admin.tenantId, id: id, by: admin.actor, at: Date())
            push.wake()
            return try await delivery(tenantId: admin.tenantId, id: id)
        }
    }

    /// Plans a sample message through the target, wakes the worker and waits (up to ``testSendWait``) for Feishu's
    /// answer: 200 with the delivery sent or dead, 202 while it is still pending.
    private func testSend(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        struct Input: Decodable { var oaUserID: String }
        let admin = try context.admin()
        let input = try await request.decode(as: Input.self, context: context)
        let (message, deliveryId) = try await database.messages.planTestMessage(tenantId: admin.tenantId, ruleId: context.id("id"),
                                                                                targetId: context.id("target"), oaUserID: input.oaUserID, by: admin.actor, at: Date())
        push.wake()
        let deadline = ContinuousClock.now + testSendWait
        var shown = try await delivery(tenantId: admin.tenantId, id: deliveryId)
        while shown.state == DeliveryState.pending.rawValue && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            shown = try await delivery(tenantId: admin.tenantId, id: deliveryId)
        }
        let pending = shown.state == DeliveryState.pending.rawValue
        return try OADirectoryAPIController.json(pending ? .accepted : .ok, TestSendView(messageId: message.id ?? 0, delivery: shown),
                                                 context: context)
    }

    private func delivery(tenantId: Int64, id: Int64) async throws -> DeliveryView {
        DeliveryView(try await database.messages.deliveryDetail(tenantId: tenantId, id: id))
    }

    private func view(_ module: OAModuleRecord) -> OAModuleView {
        OAModuleView(module, secretMask: database.pushRules.actionSecretMask(of: module))
    }

    static func page(_ query: Parameters) throws -> (limit: Int, offset: Int) {
        let limit = try AdminAPIController.int(query.get("limit"), "limit") ?? 50
        let offset = try AdminAPIController.int(query.get("offset"), "offset") ?? 0
        guard (1...500).contains(limit) else { throw APIError.invalid("limit", "must be between 1 and 500") }
        guard offset >= 0 else { throw APIError.invalid("offset", "must not be negative") }
        return (limit, offset)
    }
}

struct Resent: ResponseEncodable, Sendable {
    var resent: Int
}

extension DeliveryView: ResponseEncodable {}
