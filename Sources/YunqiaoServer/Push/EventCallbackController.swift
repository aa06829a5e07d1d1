import FeishuKit
import Foundation
import Hummingbird
import Logging
import NIOCore
import YunqiaoCore
import YunqiaoServices

/// `POST /feishu/apps/:id/events`, the app's event request URL (issue #15; `feishu-api.md` §6): Feishu pushes contact
/// events here.
///
/// - At most 1 MB (a scope change lists entries) nested at most ``JSONNesting/maxDepth`` deep; the SHA-256 signature
///   with the Encrypt Key and its timestamp window, the decryption and the Verification Token are checked before the
///   body is read as an event (``VerifiedFeishuRequest``). A refusal answers 401 and records nothing.
/// - The URL challenge is answered with its `challenge`.
/// - A contact event is stored in the durable inbox once per `event_id` (a repeat is answered 200 and not stored
///   again) and answered at once, well within Feishu's 3 s; ``DirectoryEventWorker`` applies it to the mirror after.
/// - Other events are answered 200 and not kept.
struct EventCallbackController {
    let database: any BridgeStore
    let worker: DirectoryEventWorker
    var maxClockSkew: Duration? = .seconds(300)
    static let maxBodyBytes = 1024 * 1024

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("feishu/apps/:id/events") { request, context in try await receive(request, context) }
    }

    private func receive(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let logger = context.logger
        let rawID = context.parameters.get("id") ?? ""
        switch try await VerifiedFeishuRequest.read(request, context, database: database, maxBodyBytes: Self.maxBodyBytes, maxClockSkew: maxClockSkew) {
        case .refused(let reason):
            return VerifiedFeishuRequest.unauthorized(logger, "event", app: rawID, reason)
        case .verified(.urlVerification(let challenge), _, _, let appId):
            logger.info("events: URL verification answered", metadata: ["app": "\(appId)"])
            return Self.json(FeishuCallback.challengeAnswer(challenge))
        case .verified(.cardAction, _, _, let appId):
            logger.info("events: a card action on the event URL is ignored (card callbacks have their own URL)", metadata: ["app": "\(appId)"])
            return Self.json(Data("{}".utf8))
        case .verified(.event(let event), let app, let enterprise, let appId):
            if let appID = event.appID, appID != app.appID {
                return VerifiedFeishuRequest.unauthorized(logger, "event", app: rawID, "the event is for another app (\(appID))")
            }
            var metadata: Logger.Metadata = ["app": "\(appId)", "feishu.event_type": "\(event.type)", "feishu.event_id": "\(event.eventID ?? "-")"]
            guard FeishuContactEvent.types.contains(event.type) else {
                logger.info("events: event not used", metadata: metadata)
                return Self.json(Data(#"{"msg":"success"}"#.utf8))
            }
            guard let eventID = event.eventID, !eventID.isEmpty, let createTime = event.createTime else {
                throw APIError.invalid("header", "a contact event needs header.event_id and header.create_time")
            }
            let received = ReceivedDirectoryEvent(tenantId: enterprise.tenantId, enterpriseId: app.enterpriseId, appId: appId,
                                                  eventID: eventID, eventType: event.type, createTime: createTime, payload: event.payload,
                                                  channel: "http")
            let stored = try await database.directoryEvents.receive(received, at: Date())
            metadata["event.duplicate"] = "\(!stored)"
            logger.info("events: contact event received", metadata: metadata)
            if stored { worker.wake() }
            return Self.json(Data(#"{"msg":"success"}"#.utf8))
        }
    }

    private static func json(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
