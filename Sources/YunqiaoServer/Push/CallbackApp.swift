import FeishuKit
import Foundation
import Hummingbird
import Logging
import NIOCore
import YunqiaoCore

extension BridgeStore {
    /// The app a Feishu callback URL names (`/feishu/apps/{id}/…`) with its enterprise; nil when the id is not a number
    /// or no app has it (the callback is refused without saying which).
    func callbackApp(_ rawID: String) async throws -> (app: AppRecord, enterprise: EnterpriseRecord)? {
        guard let id = Int64(rawID) else { return nil }
        do { return try await integration.app(id: id) } catch YunqiaoError.notFound { return nil }
    }
}

/// A request to one of an app's Feishu request URLs (card callback, events) after ``FeishuCallbackVerifier``.
enum VerifiedFeishuRequest {
    case verified(FeishuCallback, app: AppRecord, enterprise: EnterpriseRecord, appId: Int64)
    /// Answer 401 and record nothing; the reason is for the log only.
    case refused(String)

    /// Looks the app up, reads at most `maxBodyBytes`, refuses JSON nested too deep (400) and a malformed body (400),
    /// and verifies the signature, decryption and Verification Token with the app's keys — in that order, before anything
    /// is parsed as a callback. An app without a Verification Token refuses everything.
    static func read(_ request: Request, _ context: AppRequestContext, database: any BridgeStore, maxBodyBytes: Int,
                     maxClockSkew: Duration?) async throws -> VerifiedFeishuRequest
    {
        let rawID = context.parameters.get("id") ?? ""
        guard let found = try await database.callbackApp(rawID), let appId = found.app.id else { return .refused("no such app") }
        let credentials = try database.integration.callbackCredentials(of: found.app)
        guard let verificationToken = credentials.verificationToken else {
            return .refused("the app has no Verification Token: set it on the app's page")
        }
        let body = try await request.body.collect(within: maxBodyBytes)
        // Measured, not parsed: the verifier checks the signature on these raw bytes before it parses anything.
        guard JSONNesting.isWithin(JSONNesting.maxDepth, body.readableBytesView) else {
            throw APIError.invalid("body", "JSON nested deeper than \(JSONNesting.maxDepth) levels")
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let verifier = FeishuCallbackVerifier(verificationToken: verificationToken, encryptKey: credentials.encryptKey, maxClockSkew: maxClockSkew)
        do {
            let callback = try verifier.verify(headers: headers, body: Data(body.readableBytesView))
            return .verified(callback, app: found.app, enterprise: found.enterprise, appId: appId)
        } catch {
            if case .malformedBody = error { throw HTTPError(.badRequest, message: error.description) }
            return .refused(error.description)
        }
    }

    /// 401 with nothing recorded; the reason goes to the log (never a token, key or body).
    static func unauthorized(_ logger: Logger, _ what: String, app: String, _ reason: String) -> Response {
        logger.warning("\(what) refused", metadata: ["app": "\(app)", "reason": "\(reason)"])
        return Response(status: .unauthorized, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"message":"unauthorized"}}"#)))
    }
}
