import FeishuKit
import Foundation
import Logging
import YunqiaoCore

/// A quick-approval card button press, as a verified callback reported it (the card callback URL, or the long
/// connection): recorded at once for the ``CardActionWorker``, and answered with a toast and the card in its new style
/// (`feishu-api.md` §6.8, §6.9), well within Feishu's 3 s.
public struct CardClickResponder: Sendable {
    let database: any BridgeStore
    let worker: CardActionWorker

    /// Shown while an action of the todo is under way (a second click).
    static let underWay = CardToast(kind: .info, zhCN: "正在处理，请勿重复操作", enUS: "Already being processed")
    /// Shown to someone who is not the card's recipient.
    static let notRecipient = CardToast(kind: .error, zhCN: "只有待办的接收人可以处理", enUS: "Only the recipient of this todo can handle it")

    public init(database: any BridgeStore, worker: CardActionWorker) {
        self.database = database
        self.worker = worker
    }

    /// Records the click (one action per todo; a second click, a handled todo or a stranger get their toast and no
    /// action) and answers the toast and the re-rendered card.
    public func respond(_ action: FeishuCardAction, appId: Int64, logger: Logger) async throws -> Data {
        let metadata: Logger.Metadata = ["app": "\(appId)", "feishu.message_id": "\(action.messageID)"]
        guard let verb = action.value["a"].flatMap(TodoAction.init(rawValue:)), let deliveryId = action.value["d"].flatMap({ Int64($0) }),
              let todoId = action.value["t"], !todoId.isEmpty
        else {
            logger.info("card click: not a quick-approval button", metadata: metadata)
            return try answer(.failed, card: nil, action)
        }
        let click = CardClick(appId: appId, deliveryId: deliveryId, todoId: todoId, action: verb, unionID: action.unionID,
                              openID: action.openID, userID: action.userID, messageID: action.messageID,
                              eventID: action.eventID)
        switch try await database.cardActions.recordCardClick(click, at: Date()) {
        case .accepted(let record, let card):
            worker.wake()
            logger.info("card click: quick-approval action recorded",
                        metadata: metadata.merging(["card_action.id": "\(record.actionId)", "card_action.action": "\(record.action)"]) { $1 })
            return try answer(.processing, card: card, action)
        case .underWay(let record, let card):
            logger.info("card click: an action of the todo is under way",
                        metadata: metadata.merging(["card_action.id": "\(record.actionId)"]) { $1 })
            return try answer(Self.underWay, card: card, action)
        case .handled(let card):
            logger.info("card click: the todo is already handled", metadata: metadata)
            return try answer(.alreadyHandled, card: card, action)
        case .refused(let reason):
            logger.info("card click: click refused", metadata: metadata.merging(["reason": "\(reason.rawValue)"]) { $1 })
            return try answer(reason == .notRecipient ? Self.notRecipient : .failed, card: nil, action)
        }
    }

    /// The toast and the re-rendered card (`feishu-api.md` §6.8). The old protocol (§6.9) answers a whole card, or a
    /// toast when there is no card (toasts on the old protocol are not confirmed).
    private func answer(_ toast: CardToast, card: ClickedCard?, _ action: FeishuCardAction) throws -> Data {
        let rendered = card.map {
            MessageRenderer.render($0.message, as: .todo, deliveryID: String($0.deliveryId), quickApproval: $0.quickApproval,
                                   todoState: $0.todoState, language: worker.configuration.language)
        }
        if action.callbackProtocol == .v1, let rendered { return Data(rendered.content.utf8) }
        return Data(MessageRenderer.callbackAnswer(toast, card: rendered, language: worker.configuration.language).utf8)
    }
}
