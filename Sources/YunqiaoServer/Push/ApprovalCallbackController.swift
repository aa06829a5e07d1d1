import FeishuKit
import Foundation
import Hummingbird
import Logging
import NIOCore
import YunqiaoCore
import YunqiaoServices

/// `POST /feishu/apps/:id/approval-callback`, the `action_callback_url` of the app's external approval definitions
/// (issue #18; `feishu-api.md` §5.5): an approver tapped approve or reject in Feishu's Approval Center.
///
/// - The body is at most 64 KB and nested at most ``JSONNesting/maxDepth`` deep; it must be `{"encrypt": …}` made with
///   the definition's `action_callback_key`, and its `token` the definition's (both derived from the app's secret,
///   ``ApprovalActionCallback/credentials(appID:appSecret:)``). Nothing is parsed as an action before it decrypted; a
///   refusal answers 401 and records nothing.
/// - A verified action goes the quick-approval path of a card click (``CardActionWorker``): recorded at once, answered
///   within Feishu's 10 s, the OA called in the background; its result moves the todo, its cards and its Approval
///   Center tasks. Answers with a message Feishu shows: `{"message": …, "without_prefix": true}` and a status above 400
///   (401, 403, 404, 409, 422) for a refusal, 200 `{"code": 0}` when recorded or already under way.
struct ApprovalCallbackController {
    let database: any BridgeStore
    let worker: CardActionWorker
    static let maxBodyBytes = 64 * 1024

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("feishu/apps/:id/approval-callback") { request, context in try await callback(request, context) }
    }

    private func callback(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let logger = context.logger
        let rawID = context.parameters.get("id") ?? ""
        guard let found = try await database.callbackApp(rawID), let appId = found.app.id else { return refuse(logger, app: rawID, "no such app") }
        let body = try await request.body.collect(within: Self.maxBodyBytes)
        guard JSONNesting.isWithin(JSONNesting.maxDepth, body.readableBytesView) else {
            throw APIError.invalid("body", "JSON nested deeper than \(JSONNesting.maxDepth) levels")
        }
        let credentials = ApprovalActionCallback.credentials(appID: found.app.appID, appSecret: try database.integration.secret(of: found.app))
        let callback: ApprovalActionCallback
        do {
            callback = try ApprovalActionCallback.verify(body: Data(body.readableBytesView), token: credentials.token, key: credentials.key)
        } catch {
            if error == .malformedBody { throw APIError.invalid("body", "not an approval action callback") }
            return refuse(logger, app: rawID, error.description)
        }
        var metadata: Logger.Metadata = ["app": "\(appId)", "approval.instance": "\(callback.instanceID ?? "-")"]
        guard let action = Self.action(callback.actionType) else {
            return Self.answer(.unprocessableContent, "不支持的操作：\(callback.actionType)")
        }
        guard let instanceID = callback.instanceID, let taskID = callback.taskID else {
            return Self.answer(.unprocessableContent, "请在 OA 中处理")
        }
        let click = ApprovalClick(appId: appId, instanceId: instanceID, taskId: taskID, action: action, userID: callback.userID)
        switch try await database.approvalCenter.recordApprovalAction(click, at: Date()) {
        case .accepted(let record):
            worker.wake()
            metadata["card_action.id"] = "\(record.actionId)"
            logger.info("approval callback: quick-approval action recorded", metadata: metadata)
            return Self.json(.ok, #"{"code":0}"#)
        case .underWay(let record):
            metadata["card_action.id"] = "\(record.actionId)"
            logger.info("approval callback: an action of the todo is under way", metadata: metadata)
            return Self.json(.ok, #"{"code":0}"#)
        case .handled:
            logger.info("approval callback: the todo is already handled", metadata: metadata)
            return Self.answer(.conflict, "该待办已处理")
        case .refused(let reason):
            logger.info("approval callback: action refused", metadata: metadata.merging(["reason": "\(reason.rawValue)"]) { $1 })
            switch reason {
            case .notRecipient: return Self.answer(.forbidden, "只有待办的审批人可以处理")
            case .actionNotOffered: return Self.answer(.unprocessableContent, "该待办不支持快捷审批，请在 OA 中处理")
            case .unknownCard, .wrongMessage: return Self.answer(.notFound, "未找到该待办，请在 OA 中处理")
            }
        }
    }

    static func action(_ type: String) -> TodoAction? {
        switch type.uppercased() {
        case "APPROVE": .approve
        case "REJECT": .reject
        default: nil
        }
    }

    /// 401 with nothing recorded; the reason goes to the log (never a token, key or body).
    private func refuse(_ logger: Logger, app: String, _ reason: String) -> Response {
        logger.warning("approval callback refused", metadata: ["app": "\(app)", "reason": "\(reason)"])
        return Self.json(.unauthorized, #"{"message":"unauthorized","without_prefix":true}"#)
    }

    /// A refusal Feishu shows the approver (`message`, shown as it is).
    private static func answer(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = (try? JSONSerialization.data(withJSONObject: ["message": message, "without_prefix": true], options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return json(status, body)
    }

    private static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
