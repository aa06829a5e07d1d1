import FeishuKit
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import YunqiaoCore
import YunqiaoServices

/// `POST /feishu/apps/:id/card-callback`, the app's 消息卡片请求网址 (issue #7, "Todo lifecycle and quick approval";
/// `feishu-api.md` §6.2–§6.4, §6.8, §6.9): a Feishu user pressed approve or reject on a todo card.
///
/// - The URL challenge is answered with its `challenge`.
/// - Everything else is checked by ``FeishuCallbackVerifier`` with the app's Verification Token and Encrypt Key: the
///   SHA-256 signature with the Encrypt Key (new protocol) or the SHA-1 signature with the Verification Token (old
///   protocol), decryption, the token. A refused request answers 401 and records nothing; the log says why (at warning,
///   without secrets). An app without a Verification Token refuses every callback.
/// - A click is recorded (``CardActionRepository/recordCardClick(_:at:)``) and answered at once, well within Feishu's 3 s:
///   toast "处理中" and the card in its processing style. The ``CardActionWorker`` then calls the OA. A second click of
///   the same todo (a double click, the other button, another card of it) gets the processing toast again and no second
///   action; a handled todo gets "已处理" and its final card; a click by someone else than the card's recipient, or on a
///   card that is not ours, gets an error toast and no action.
struct CardCallbackController {
    let database: any BridgeStore
    let worker: CardActionWorker
    /// How far `X-Lark-Request-Timestamp` may be from now.
    var maxClockSkew: Duration? = .seconds(300)
    /// Callback bodies are small (a card action is < 2 KB).
    static let maxBodyBytes = 256 * 1024

    /// Shown while an action of the todo is under way (a second click).
    static let underWay = CardToast(kind: .info, zhCN: "正在处理，请勿重复操作", enUS: "Already being processed")
    /// Shown to someone who is not the card's recipient.
    static let notRecipient = CardToast(kind: .error, zhCN: "只有待办的接收人可以处理", enUS: "Only the recipient of this todo can handle it")

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("feishu/apps/:id/card-callback") { request, context in try await callback(request, context) }
    }

    private func callback(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let logger = context.logger
        let rawID = context.parameters.get("id") ?? ""
        let callback: FeishuCallback
        let found: (app: AppRecord, appId: Int64)
        switch try await VerifiedFeishuRequest.read(request, context, database: database, maxBodyBytes: Self.maxBodyBytes, maxClockSkew: maxClockSkew) {
        case .refused(let reason): return refuse(logger, app: rawID, reason)
        case .verified(let verified, let app, _, let appId):
            callback = verified
            found = (app, appId)
        }
        let appId = found.appId

        switch callback {
        case .urlVerification(let challenge):
            logger.info("card callback: URL verification answered", metadata: ["app": "\(appId)"])
            return Self.json(FeishuCallback.challengeAnswer(challenge))
        case .event(let event):
            logger.info("card callback: event ignored", metadata: ["app": "\(appId)", "feishu.event_type": "\(event.type)"])
            return Self.json(Data("{}".utf8))
        case .cardAction(let action):
            if let appID = action.appID, appID != found.app.appID {
                return refuse(logger, app: rawID, "the callback is for another app (\(appID))")
            }
            return try await click(action, app: found.app, appId: appId, logger: logger)
        }
    }

    private func refuse(_ logger: Logger, app: String, _ reason: String) -> Response {
        VerifiedFeishuRequest.unauthorized(logger, "card callback", app: app, reason)
    }

    private func click(_ action: FeishuCardAction, app: AppRecord, appId: Int64, logger: Logger) async throws -> Response {
        let metadata: Logger.Metadata = ["app": "\(appId)", "feishu.message_id": "\(action.messageID)"]
        guard let verb = action.value["a"].flatMap(TodoAction.init(rawValue:)), let deliveryId = action.value["d"].flatMap({ Int64($0) }),
              let todoId = action.value["t"], !todoId.isEmpty
        else {
            logger.info("card callback: not a quick-approval button", metadata: metadata)
            return try answer(.failed, card: nil, action)
        }
        let click = CardClick(appId: appId, deliveryId: deliveryId, todoId: todoId, action: verb, unionID: action.unionID,
                              openID: action.openID, userID: action.userID, messageID: action.messageID,
                              eventID: action.eventID)
        switch try await database.cardActions.recordCardClick(click, at: Date()) {
        case .accepted(let record, let card):
            worker.wake()
            logger.info("card callback: quick-approval action recorded",
                        metadata: metadata.merging(["card_action.id": "\(record.actionId)", "card_action.action": "\(record.action)"]) { $1 })
            return try answer(.processing, card: card, action)
        case .underWay(let record, let card):
            logger.info("card callback: an action of the todo is under way",
                        metadata: metadata.merging(["card_action.id": "\(record.actionId)"]) { $1 })
            return try answer(Self.underWay, card: card, action)
        case .handled(let card):
            logger.info("card callback: the todo is already handled", metadata: metadata)
            return try answer(.alreadyHandled, card: card, action)
        case .refused(let reason):
            logger.info("card callback: click refused", metadata: metadata.merging(["reason": "\(reason.rawValue)"]) { $1 })
            return try answer(reason == .notRecipient ? Self.notRecipient : .failed, card: nil, action)
        }
    }

    /// The toast and the re-rendered card (`feishu-api.md` §6.8). The old protocol (§6.9) answers a whole card, or a
    /// toast when there is no card (toasts on the old protocol are not confirmed).
    private func answer(_ toast: CardToast, card: ClickedCard?, _ action: FeishuCardAction) throws -> Response {
        let rendered = card.map {
            MessageRenderer.render($0.message, as: .todo, deliveryID: String($0.deliveryId), quickApproval: $0.quickApproval,
                                   todoState: $0.todoState, language: worker.configuration.language)
        }
        if action.callbackProtocol == .v1, let rendered { return Self.json(Data(rendered.content.utf8)) }
        return Self.json(Data(MessageRenderer.callbackAnswer(toast, card: rendered, language: worker.configuration.language).utf8))
    }

    private static func json(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
