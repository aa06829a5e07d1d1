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
            return Self.json(try await CardClickResponder(database: database, worker: worker).respond(action, appId: appId, logger: logger))
        }
    }

    private func refuse(_ logger: Logger, app: String, _ reason: String) -> Response {
        VerifiedFeishuRequest.unauthorized(logger, "card callback", app: app, reason)
    }

    private static func json(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
