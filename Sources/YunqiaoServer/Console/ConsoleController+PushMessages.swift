import Foundation
import Hummingbird
import YunqiaoCore
import YunqiaoServices

/// 消息记录 and 死信 (issue #7): the message log with search and paging, a message's detail with every delivery (app ×
/// recipient: state, Feishu message_id, attempts, last error, times), the dead letters with resend per row and
/// "resend all" after a confirmation.
extension ConsoleController {
    static let pushMessagesPerPage = 50
    static let deadLettersPerPage = 50

    func addPushMessageRoutes(to routes: RouteCollection<AppRequestContext>) {
        routes.get("push/messages") { request, context in
            show("push-messages", try await pushMessagesPage(context.admin(), request), request, context)
        }
        routes.get("push/messages/:id") { request, context in
            show("push-message", try await pushMessagePage(context.admin(), context.id("id"), request), request, context)
        }
        routes.get("push/dead-letters") { request, context in
            show("push-dead-letters", try await deadLettersPage(context.admin(), request), request, context)
        }
        routes.post("push/deliveries/:id/resend") { request, context in
            let (admin, id) = (try context.admin(), try context.id("id"))
            let form = try await Self.form(request, context)
            let messageId = form["message"].flatMap { Int64($0) }
            do {
                let delivery = try await push.resend(admin, deliveryId: id)
                if form["back"] == "message" { return Self.seeOther("/console/push/messages/\(delivery.messageId)?resent=1") }
                return Self.seeOther("/console/push/dead-letters?resent=1")
            } catch {
                if form["back"] == "message", let messageId {
                    return try await rejected(error, request, context, [:], template: "push-message", labels: "push_field_") { _ in
                        try await pushMessagePage(admin, messageId, request)
                    }
                }
                return try await rejected(error, request, context, [:], template: "push-dead-letters", labels: "push_field_") { _ in
                    try await deadLettersPage(admin, request)
                }
            }
        }
        routes.get("push/dead-letters/resend-all") { request, context in
            let total = try await push.deadLetters(context.admin(), limit: 1, offset: 0).total
            return show("push-resend-all", ["count": total, "hasDead": total > 0, "tab": ["dead": true]], request, context)
        }
        routes.post("push/dead-letters/resend-all") { request, context in
            let admin = try context.admin()
            _ = try await Self.form(request, context)
            let count = try await push.resendAll(admin)
            return Self.seeOther("/console/push/dead-letters?resentAll=\(count)")
        }
    }

    // MARK: the log

    private func pushMessagesPage(_ admin: AdminIdentity, _ request: Request) async throws -> PageValues {
        let t = strings(request)
        let query = request.uri.queryParameters
        let source = query.get("source")?.nilIfEmpty
        let recipient = query.get("recipient")?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        let state = query.get("state").flatMap { DeliveryState(rawValue: $0) }
        let text = query.get("q")?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        let offset = max(0, Int(query.get("offset") ?? "") ?? 0)
        let page = try await push.messages(admin, .init(source: source, recipient: recipient, state: state, text: text,
                                                        limit: Self.pushMessagesPerPage, offset: offset))
        let modules = try await push.modules(admin)
        let link = { (offset: Int) in
            "/console/push/messages" + ConsoleFormat.query(["source": source, "recipient": recipient, "state": state?.rawValue, "q": text,
                                                            "offset": offset > 0 ? "\(offset)" : nil])
        }
        var sources = [("", t["push_filter_any_source"] ?? "")] + modules.map { ($0.key, "\($0.name) (\($0.key))") }
        sources.append((Self.testSource, t["push_source_test"] ?? Self.testSource))
        if let source, !sources.contains(where: { $0.0 == source }) { sources.append((source, source)) }
        let rows = page.items.map { item -> PageValues in
            let message = item.message
            let id = message.id ?? 0
            var row: PageValues = [
                "id": id, "href": "/console/push/messages/\(id)", "title": message.title, "source": message.source,
                "sourceLabel": pushSourceLabel(message.source, modules: modules, t), "idempotencyKey": message.idempotencyKey,
                "acceptedAt": ConsoleFormat.dateTime(message.acceptedAt), "acceptedBy": message.acceptedBy,
                "states": pushStateBadges(item.counts, t),
            ]
            row["todoId"] = message.todoId ?? false
            return row
        }
        var values: PageValues = [
            "messages": rows, "total": page.total, "from": rows.isEmpty ? 0 : offset + 1, "to": offset + rows.count,
            "sources": Self.options(sources, selected: source ?? ""),
            "states": Self.options([("", t["push_filter_any_state"] ?? "")]
                + DeliveryState.allCases.map { ($0.rawValue, t["push_state_" + $0.rawValue] ?? $0.rawValue) }, selected: state?.rawValue ?? ""),
            "recipient": recipient ?? "", "q": text ?? "", "filtered": source != nil || recipient != nil || state != nil || text != nil,
            "allHref": "/console/push/messages", "tab": ["messages": true],
        ]
        if offset > 0 { values["prevHref"] = link(max(0, offset - Self.pushMessagesPerPage)) }
        if offset + rows.count < page.total { values["nextHref"] = link(offset + Self.pushMessagesPerPage) }
        return values
    }

    /// The source of a test send through a rule of every module.
    static let testSource = "yunqiao.test"

    /// `已发送 2 · 跳过 1`: a badge per state that has deliveries.
    private func pushStateBadges(_ counts: [DeliveryState: Int], _ t: Strings) -> [PageValues] {
        DeliveryState.allCases.compactMap { state in
            guard let count = counts[state], count > 0 else { return nil }
            return ["state": state.rawValue, "label": t["push_state_" + state.rawValue] ?? state.rawValue, "count": count,
                    "badge": Self.pushBadge(state)]
        }
    }

    static func pushBadge(_ state: DeliveryState) -> String {
        switch state {
        case .pending: "badge-running"
        case .sent: "badge-ok"
        case .dead: "badge-failed"
        case .skipped: "badge-skipped"
        }
    }

    // MARK: a message

    private func pushMessagePage(_ admin: AdminIdentity, _ id: Int64, _ request: Request) async throws -> PageValues {
        let t = strings(request)
        let detail = try await push.message(admin, id: id)
        let modules = try await push.modules(admin)
        let message = detail.message
        let payload = try? message.message()
        var summary: PageValues = [
            "id": id, "title": message.title, "source": message.source, "sourceLabel": pushSourceLabel(message.source, modules: modules, t),
            "idempotencyKey": message.idempotencyKey, "acceptedAt": ConsoleFormat.dateTime(message.acceptedAt),
            "acceptedBy": message.acceptedBy, "planned": message.planned, "skipped": message.skipped,
        ]
        summary["body"] = payload.flatMap { $0.body.nilIfEmpty } ?? false
        summary["recipients"] = payload.map { $0.recipients.joined(separator: t["list_separator"] ?? ", ") } ?? false
        summary["recipientCount"] = payload?.recipients.count ?? 0
        summary["fields"] = payload.map { $0.fields.map { ["label": $0.label, "value": $0.value] } } ?? []
        summary["hasFields"] = !(payload?.fields.isEmpty ?? true)
        summary["pcLink"] = payload?.links?.pc ?? false
        summary["mobileLink"] = payload?.links?.mobile ?? false
        summary["image"] = payload?.image?.url ?? false
        if let todoId = message.todoId {
            let state = detail.todo?.state ?? TodoState.pending.rawValue
            var todo: PageValues = ["id": todoId, "state": state, "stateLabel": t["push_todo_" + state] ?? state,
                                    "actions": payload?.todo?.actions.map { t["todo_action_" + $0] ?? $0 }.joined(separator: t["list_separator"] ?? ", ").nilIfEmpty
                                        ?? false]
            todo["actor"] = detail.todo?.actor ?? false
            todo["at"] = detail.todo?.at.map(ConsoleFormat.dateTime) ?? false
            summary["todo"] = todo
        } else {
            summary["todo"] = false
        }
        var counts: [DeliveryState: Int] = [:]
        for delivery in detail.deliveries { counts[delivery.delivery.deliveryState, default: 0] += 1 }
        var values: PageValues = ["message": summary, "deliveries": detail.deliveries.map { deliveryRow($0, t) },
                                  "states": pushStateBadges(counts, t), "tab": ["messages": true],
                                  "approvalInstances": Self.approvalInstanceRows(detail.approvalInstances, todo: detail.todo, t),
                                  "hasApprovalInstances": !detail.approvalInstances.isEmpty]
        let query = request.uri.queryParameters
        if query.get("testSent") != nil { values["notice"] = t["push_notice_test_sent"] }
        if query.get("resent") != nil { values["notice"] = t["push_notice_resent"] }
        return values
    }

    private func deliveryRow(_ detail: DeliveryDetail, _ t: Strings) -> PageValues {
        let delivery = detail.delivery
        let state = delivery.deliveryState
        let cardDead = detail.cardUpdate?.state == "dead"
        var row: PageValues = [
            "id": delivery.id ?? 0, "messageId": delivery.messageId, "enterpriseName": detail.enterprise.name,
            "appName": detail.app.name.isEmpty ? detail.app.appID : detail.app.name, "appHref": "/console/apps/\(delivery.appId)",
            "oaUserID": delivery.oaUserID, "oaHref": Self.oaUserHref(delivery.oaUserID), "type": delivery.type,
            "typeLabel": t["push_type_" + delivery.type] ?? delivery.type, "quickApproval": delivery.quickApproval,
            "state": state.rawValue, "stateLabel": t["push_state_" + state.rawValue] ?? state.rawValue, "badge": Self.pushBadge(state),
            "attempts": delivery.attempts, "createdAt": ConsoleFormat.dateTime(delivery.createdAt),
            "updatedAt": ConsoleFormat.dateTime(delivery.updatedAt), "canResend": state == .dead || state == .skipped || cardDead,
        ]
        row["feishuMessageID"] = delivery.feishuMessageID ?? false
        row["lastError"] = delivery.lastError.map { ConsoleStrings.note($0, in: t) } ?? false
        row["note"] = delivery.note ?? false
        row["sentAt"] = delivery.sentAt.map(ConsoleFormat.dateTime) ?? false
        row["nextAttemptAt"] = state == .pending ? ConsoleFormat.dateTime(delivery.nextAttemptAt) : false
        if let card = detail.cardUpdate {
            var cardRow: PageValues = ["state": card.state, "stateLabel": t["push_card_" + card.state] ?? card.state,
                                       "attempts": card.attempts, "dead": cardDead]
            cardRow["lastError"] = card.lastError ?? false
            row["cardUpdate"] = cardRow
        } else {
            row["cardUpdate"] = false
        }
        return row
    }

    // MARK: dead letters

    private func deadLettersPage(_ admin: AdminIdentity, _ request: Request) async throws -> PageValues {
        let t = strings(request)
        let query = request.uri.queryParameters
        let offset = max(0, Int(query.get("offset") ?? "") ?? 0)
        let page = try await push.deadLetters(admin, limit: Self.deadLettersPerPage, offset: offset)
        let rows = page.items.map { letter -> PageValues in
            var row = deliveryRow(letter.delivery, t)
            let messageId = letter.message.id ?? 0
            row["messageTitle"] = letter.message.title
            row["messageHref"] = "/console/push/messages/\(messageId)"
            row["source"] = letter.message.source
            row["kindLabel"] = t["push_dead_kind_" + letter.kind] ?? letter.kind
            if letter.kind == "cardUpdate", let card = letter.delivery.cardUpdate {
                row["lastError"] = card.lastError.map { ConsoleStrings.note($0, in: t) } ?? false
                row["attempts"] = card.attempts
                row["updatedAt"] = ConsoleFormat.dateTime(card.updatedAt)
            }
            return row
        }
        var values: PageValues = ["letters": rows, "total": page.total, "from": rows.isEmpty ? 0 : offset + 1, "to": offset + rows.count,
                                  "hasDead": page.total > 0, "tab": ["dead": true]]
        if offset > 0 { values["prevHref"] = "/console/push/dead-letters" + ConsoleFormat.query(["offset": "\(max(0, offset - Self.deadLettersPerPage))"]) }
        if offset + rows.count < page.total {
            values["nextHref"] = "/console/push/dead-letters" + ConsoleFormat.query(["offset": "\(offset + Self.deadLettersPerPage)"])
        }
        if query.get("resent") != nil { values["notice"] = t["push_notice_resent"] }
        if let count = query.get("resentAll").flatMap({ Int($0) }) {
            values["notice"] = String(format: t["push_notice_resent_all"] ?? "%d", count)
        }
        return values
    }
}
