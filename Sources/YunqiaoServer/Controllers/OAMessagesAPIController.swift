import Foundation
import Hummingbird
import NIOCore
import YunqiaoCore
import YunqiaoServices

/// Message push for the OA (issue #7) under `/api/v1`, with the OA key: accept a message (durably planned before the
/// 202), read it back with its deliveries, and change a todo's state (every card of it follows).
struct OAMessagesAPIController {
    let database: any BridgeStore
    let push: PushDelivery
    let approvalCenter: ApprovalCenterSync
    /// A valid message stays well below this (a 100 000-character body even with every character `\u`-escaped).
    static let maxBody = 2 * 1024 * 1024

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("messages") { request, context in try await accept(request, context) }
        routes.get("messages/:id") { _, context in
            MessageDetailView(try await database.messages.messageDetail(tenantId: try Self.caller(context).tenantId, id: context.id("id")))
        }
        routes.patch("todos/:id") { request, context in try await changeTodo(request, context) }
        return routes
    }

    /// 202 with `{id, status, deliveries: {planned, skipped}}` once the message, its deliveries and its todo are stored;
    /// 200 with the first answer for a repeated `(source, idempotencyKey)`.
    private func accept(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let caller = try Self.caller(context)
        let message = try JSONBody.decode(PushMessage.self, from: try await request.body.collect(within: Self.maxBody))
        let accepted = try await database.messages.acceptMessage(tenantId: caller.tenantId, message, by: caller.name, at: Date())
        if !accepted.repeated {
            push.wake()
            approvalCenter.wake()
        }
        return try OADirectoryAPIController.json(accepted.repeated ? .ok : .accepted, AcceptedMessageView(accepted), context: context)
    }

    private struct TodoInput: Decodable {
        var source: String
        var state: String
        var by: String
        /// ISO 8601; now when missing.
        var at: String?
    }

    /// 200 with the todo, whether it changed and how many cards will be updated; 404 for an unknown todo; 409 when the
    /// todo already has another final state.
    private func changeTodo(_ request: Request, _ context: AppRequestContext) async throws -> TodoChangeView {
        let caller = try Self.caller(context)
        let todoId = try context.pathComponent("id")
        let input = try await request.decode(as: TodoInput.self, context: context)
        guard let state = TodoState(rawValue: input.state), state.isFinal else {
            throw APIError.invalid("state", "must be done, approved, rejected or cancelled")
        }
        let at = try input.at.map { try AdminAPIController.requiredDate($0, "at") } ?? Date()
        do {
            let change = try await database.messages.changeTodo(tenantId: caller.tenantId, source: input.source, todoId: todoId, state: state,
                                                                by: input.by, at: at)
            if change.changed {
                push.wake()
                approvalCenter.wake()
            }
            return TodoChangeView(todo: TodoView(change.todo), changed: change.changed, cardUpdates: change.cardUpdates)
        } catch let error as TodoChangeError {
            switch error {
            case .notFound: throw APIError(.notFound, message: error.text)
            case .alreadyFinal: throw APIError(.conflict, field: "state", message: error.text)
            }
        }
    }

    static func caller(_ context: AppRequestContext) throws -> OACaller {
        guard let caller = context.oaCaller else { throw APIError(.unauthorized, message: "send an OA key") }
        return caller
    }
}
