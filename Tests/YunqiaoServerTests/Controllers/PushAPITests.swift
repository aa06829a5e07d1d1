import FeishuEmulator
import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// The admin API of message push (modules, rules, log) and the OA's `/api/v1/messages` and `/api/v1/todos` calls.
@Suite(.timeLimit(.minutes(2)))
struct PushAPITests {
    @Test func modulesKeepTheirSecretToThemselves() async throws {
        try await APIEnvironment.with { env in
            let created = try await env.api.post("oa-modules", """
                {"key":"approval","name":"审批","actionURL":"https://oa.example.com/yunqiao/actions","actionSecret":"action-secret-abcdef-7890"}
                """)
            #expect(created.status == .created, "\(created)")
            let module = try created.decode(PushAnswers.Module.self)
            #expect(module.actionSecret == "••••••••7890" && !created.text.contains("action-secret-abcdef"))
            #expect(try await env.api.get("oa-modules").items(PushAnswers.Module.self).map(\.key) == ["approval"])
            let edited = try await env.api.put("oa-modules/\(module.id)", #"{"name":"审批流程","actionURL":"https://oa.example.com/a"}"#)
            #expect(try edited.decode(PushAnswers.Module.self).actionSecret == "••••••••7890")
            #expect(try await env.api.put("oa-modules/\(module.id)", #"{"key":"other","name":"x"}"#).error?.field == "key")
            #expect(try await env.api.post("oa-modules", #"{"key":"approval","name":"again"}"#).error?.field == "key")
            #expect(try await env.api.post("oa-modules", #"{"key":"x y","name":"n"}"#).error?.field == "key")
            #expect(try await env.api.post("oa-modules", #"{"key":"k"}"#).error?.field == "name")
            #expect(try await env.otherAPI.get("oa-modules/\(module.id)").status == .notFound)
            // In use by a rule: refused, naming the rule.
            _ = try await env.api.post("push-rules", #"{"name":"审批规则","source":"approval","targets":[]}"#)
            let refused = try await env.api.delete("oa-modules/\(module.id)")
            #expect(refused.status == .conflict && refused.error?.message.contains("审批规则") == true, "\(refused)")
            #expect(!env.logs.text.contains("action-secret-abcdef"))
            let audit = try await env.api.get("audit?action=oaModule").items(AuditEntry.self)
            #expect(audit.map(\.action) == ["oaModule.update", "oaModule.create"])
            #expect(audit.allSatisfy { ($0.after?["actionSecret"] ?? "").hasPrefix("••••") })
        }
    }

    @Test func rulesAndTheirTargetsAreCheckedAndDeletingWhatATargetUsesIsRefused() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let (enterprise, created) = try await AdminAPIFeishuTests.emulatorEnterprise(env)
            let app = try #require(created)
            _ = try await env.api.post("oa-modules", #"{"key":"approval","name":"审批"}"#)
            func target(_ fields: String) -> String { #"{"name":"r","source":"approval","targets":[{\#(fields)}]}"# }
            #expect(try await env.api.post("push-rules", #"{"name":"r","source":"nope"}"#).error?.field == "source")
            #expect(try await env.api.post("push-rules", target(#""enterpriseId":\#(enterprise.id),"appId":9999,"type":"text""#)).error?.field
                == "targets[0].appId")
            #expect(try await env.api.post("push-rules", target(#""enterpriseId":\#(enterprise.id),"appId":\#(app.id),"type":"fax""#))
                .error?.field == "targets[0].type")
            #expect(try await env.api.post("push-rules", target(#""enterpriseId":\#(enterprise.id),"appId":\#(app.id),"type":"text","quickApproval":true"#))
                .error?.field == "targets[0].quickApproval")
            #expect(try await env.api.post("push-rules", target(#""enterpriseId":"one","appId":\#(app.id),"type":"text""#)).error?.field
                == "targets[0].enterpriseId")
            let answer = try await env.api.post("push-rules", target(#""enterpriseId":\#(enterprise.id),"appId":\#(app.id),"type":"todo","quickApproval":true"#))
            #expect(answer.status == .created, "\(answer)")
            let rule = try answer.decode(PushAnswers.Rule.self)
            #expect(rule.targets.map(\.type) == ["todo"] && rule.targets.first?.quickApproval == true)
            #expect(try await env.api.get("push-rules/\(rule.id)").decode(PushAnswers.Rule.self).name == "r")
            #expect(try await env.otherAPI.get("push-rules/\(rule.id)").status == .notFound)
            // The other tenant cannot aim a rule at this tenant's app.
            _ = try await env.otherAPI.post("oa-modules", #"{"key":"approval","name":"审批"}"#)
            #expect(try await env.otherAPI.post("push-rules", target(#""enterpriseId":\#(enterprise.id),"appId":\#(app.id),"type":"text""#))
                .error?.field == "targets[0].enterpriseId")

            // The enterprise and the app a target uses cannot go; the refusal names the rule.
            let refusedEnterprise = try await env.api.delete("enterprises/\(enterprise.id)")
            #expect(refusedEnterprise.status == .conflict && refusedEnterprise.error?.message.contains("push rules: r") == true, "\(refusedEnterprise)")
            let refusedApp = try await env.api.delete("apps/\(app.id)")
            #expect(refusedApp.status == .conflict && refusedApp.error?.message.contains("push rules: r") == true, "\(refusedApp)")
            // Without the target, they can.
            let emptied = try await env.api.put("push-rules/\(rule.id)", #"{"name":"r","source":"*","enabled":false,"targets":[]}"#)
            #expect(try emptied.decode(PushAnswers.Rule.self).targets.isEmpty)
            #expect(try await env.api.delete("apps/\(app.id)").status == .noContent)
            #expect(try await env.api.delete("push-rules/\(rule.id)").status == .noContent)
            #expect(try await env.api.get("push-rules").items(PushAnswers.Rule.self).isEmpty)
        }
    }

    @Test func everyBadMessageIsRefusedNamingItsField() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批", targets: [(env.appId, "text", false)])
            let good = PushEnvironment.message("k-1", to: ["2001"])
            func field(_ json: String) async throws -> String? {
                let answer = try await env.send(json)
                #expect(answer.status == .badRequest, "\(answer)")
                return answer.error?.field
            }
            func replacing(_ old: String, _ new: String) -> String { good.replacingOccurrences(of: old, with: new) }
            #expect(try await field(replacing(#""source":"approval""#, #""source":"unknown""#)) == "source")
            #expect(try await field(replacing(#""source":"approval""#, #""source":"""#)) == "source")
            #expect(try await field(replacing(#""source":"approval","#, "")) == "source")
            #expect(try await field(replacing(#""idempotencyKey":"k-1""#, #""idempotencyKey":" ""#)) == "idempotencyKey")
            #expect(try await field(replacing(#""recipients":["2001"]"#, #""recipients":[]"#)) == "recipients")
            #expect(try await field(replacing(#""recipients":["2001"]"#, #""recipients":["2001","9999"]"#)) == "recipients[1]")
            #expect(try await field(replacing(#""recipients":["2001"]"#, #""recipients":["2001","2001"]"#)) == "recipients[1]")
            #expect(try await field(replacing(#""recipients":["2001"]"#, #""recipients":"2001""#)) == "recipients")
            #expect(try await field(replacing(#""title":"差旅申请""#, #""title":"\#(String(repeating: "长", count: 201))""#)) == "title")
            #expect(try await field(replacing(#""title":"差旅申请""#, #""title":"""#)) == "title")
            #expect(try await field(replacing(#""fields":[{"label":"申请人","value":"张三"}]"#, #""fields":[{"label":"","value":"x"}]"#))
                == "fields[0].label")
            #expect(try await field(replacing("https://oa.example.com/m/wf/42", "javascript:alert(1)")) == "links.mobile")
            #expect(try await field(replacing(#""links":{"pc":"https://oa.example.com/wf/42","mobile":"https://oa.example.com/m/wf/42"}"#,
                                              #""links":{"pc":"/wf/42"}"#)) == "links.pc")
            #expect(try await field(PushEnvironment.message("k-2", to: ["2001"], image: "file:///etc/passwd")) == "image.url")
            #expect(try await field(PushEnvironment.message("k-3", to: ["2001"], todo: "wf-1", actions: ["approve", "escalate"]))
                == "todo.actions[1]")
            #expect(try await field(PushEnvironment.message("k-4", to: ["2001"], todo: " ")) == "todo.id")
            let hugeBody = replacing("**张三** 申请出差 3 天", String(repeating: "长", count: 100_001))
            #expect(try await field(hugeBody) == "body")
            #expect(try await field("not json") == "body")

            // Over the size limit: 413.
            let oversize = replacing("**张三** 申请出差 3 天", String(repeating: "x", count: 3 * 1024 * 1024))
            let tooLarge = try await env.send(oversize)
            #expect(tooLarge.status == .contentTooLarge, "\(tooLarge.status)")
            // Without an OA key: 401; an admin token is not an OA key.
            #expect(try await env.admin.post("/api/v1/messages", good).status == .unauthorized)
            #expect(try await env.api.anonymous.post("/api/v1/messages", good).status == .unauthorized)
            // Nothing was written by any of them.
            #expect(try await env.database.messages.messageLog(tenantId: env.api.tenantId, filter: .init()).total == 0)
        }
    }

    @Test func acceptIsIdempotentAndTheLogFindsIt() async throws {
        try await PushEnvironment.with { env in
            try await env.rule("审批", targets: [(env.appId, "text", false)])
            let first = try await env.send(PushEnvironment.message("req-42", to: ["2001", "2004"]))
            #expect(first.status == .accepted, "\(first)")
            let accepted = try first.decode(PushAnswers.Accepted.self)
            #expect(accepted.status == "accepted" && accepted.deliveries.planned == 1 && accepted.deliveries.skipped == 1)
            // The same key again (even with another body): the first answer, 200, nothing written.
            let again = try await env.send(PushEnvironment.message("req-42", to: ["2002"], title: "另一个"))
            #expect(again.status == .ok && again.text == first.text, "\(again)")
            #expect(try await env.database.messages.messageLog(tenantId: env.api.tenantId, filter: .init()).total == 1)

            let message = try await env.settled(accepted.id)
            #expect(message.delivery("2004")?.state == "skipped" && message.delivery("2004")?.lastError == "not bound")
            #expect(message.delivery("2001")?.state == "sent")
            // Another tenant's OA key does not see it.
            #expect(try await env.otherOA.get("/api/v1/messages/\(accepted.id)").status == .notFound)

            // The admin's log: search by source, recipient, state and text; the detail with deliveries.
            struct Page: Decodable {
                struct Item: Decodable { var id: Int64; var deliveries: DeliveryCountsAnswer }
                struct DeliveryCountsAnswer: Decodable { var sent: Int; var skipped: Int }
                var total: Int
                var items: [Item]
            }
            let all = try await env.admin.get("messages").decode(Page.self)
            #expect(all.total == 1 && all.items.first?.deliveries.sent == 1 && all.items.first?.deliveries.skipped == 1)
            #expect(try await env.admin.get("messages?recipient=2004&state=skipped").decode(Page.self).total == 1)
            #expect(try await env.admin.get("messages?recipient=2002").decode(Page.self).total == 0)
            #expect(try await env.admin.get("messages?q=req-4&source=approval").decode(Page.self).total == 1)
            #expect(try await env.admin.get("messages?state=dead").decode(Page.self).total == 0)
            #expect(try await env.admin.get("messages?state=lost").error?.field == "state")
            #expect(try await env.admin.get("messages?limit=0").error?.field == "limit")
            let detail = try await env.admin.get("messages/\(accepted.id)").decode(PushAnswers.Message.self)
            #expect(detail.deliveries.count == 2 && detail.title == "差旅申请")
            #expect(try await env.api.otherAPI.get("messages/\(accepted.id)").status == .notFound)
            #expect(try await env.api.otherAPI.get("messages").decode(Page.self).total == 0)
        }
    }

    @Test func aTestSendGoesThroughTheRealPath() async throws {
        try await PushEnvironment.with { env in
            let rule = try await env.rule("全部", source: "*", targets: [(env.appId, "todo", true)])
            let target = try #require(rule.targets.first?.id)
            struct Sent: Decodable { var messageId: Int64; var delivery: PushAnswers.Delivery }
            let answer = try await env.admin.post("push-rules/\(rule.id)/targets/\(target)/test-send", #"{"oaUserID":"2002"}"#)
            #expect(answer.status == .ok, "\(answer)")
            let sent = try answer.decode(Sent.self)
            #expect(sent.delivery.state == "sent" && sent.delivery.type == "todo")
            let feishu = try await env.feishuMessages(["union_id": try #require(env.unionIDs["2002"])])
            #expect(feishu.count == 1 && feishu.first?["msg_type"] == "interactive")
            #expect(feishu.first?["message_id"]?.stringValue == sent.delivery.feishuMessageID)
            let unbound = try await env.admin.post("push-rules/\(rule.id)/targets/\(target)/test-send", #"{"oaUserID":"2004"}"#)
            #expect(unbound.status == .badRequest && unbound.error?.field == "oaUserID")
            #expect(try await env.admin.post("push-rules/\(rule.id)/targets/9999/test-send", #"{"oaUserID":"2002"}"#).status == .notFound)
            #expect(try await env.api.otherAPI.post("push-rules/\(rule.id)/targets/\(target)/test-send", #"{"oaUserID":"2001"}"#).status
                == .notFound)
        }
    }
}
