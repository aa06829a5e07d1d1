import FeishuKit
import Foundation
import Logging
import YunqiaoCore

/// The JSAPI configuration an H5 page passes to `h5sdk.config` (`feishu-api.md` §2.6).
public struct JSAPISignatureView: Codable, Sendable, Equatable {
    /// The Feishu App ID (`cli_…`), `appId` of `h5sdk.config`.
    public var appId: String
    /// Milliseconds since 1970, as signed.
    public var timestamp: Int64
    public var nonceStr: String
    /// 40 lower-case hex characters.
    public var signature: String
    /// The URL signed: the one given, without its `#fragment`.
    public var url: String
}

/// Signs H5 pages of an app for Feishu's JSAPI (OA API `POST /api/v1/apps/{id}/jsapi-signature`): checks the request
/// (``JSAPISignatureRequest``: fields, and the page's host against the app's trusted domains), takes the app's
/// `jsapi_ticket` from its Feishu client (cached per app, one fetch for concurrent callers) and computes the signature.
public struct JSAPISigner: Sendable {
    let database: any BridgeStore
    let clients: FeishuClients
    let logger: Logger

    public init(database: any BridgeStore, clients: FeishuClients, logger: Logger) {
        self.database = database
        self.clients = clients
        self.logger = logger
    }

    /// The path of the signature endpoint of app `appId` (the bridge's id), for the console and the app view.
    public static func endpointPath(appId: Int64) -> String { "/api/v1/apps/\(appId)/jsapi-signature" }

    /// Signs the page `url` for app `appId` of the tenant.
    ///
    /// - Parameters:
    ///   - nonceStr: the caller's nonce, or nil for a random one.
    ///   - timestamp: milliseconds since 1970, or nil for `now`.
    /// - Throws: ``YunqiaoError``: `notFound` for an app outside the tenant, `invalid` naming the field, `conflict`
    ///   naming `url` for a host outside the trusted domains, `unavailable` when Feishu gives no ticket.
    public func sign(tenantId: Int64, appId: Int64, url: String, nonceStr: String?, timestamp: Int64?,
                     now: Date) async throws -> JSAPISignatureView
    {
        let (app, enterprise) = try await database.integration.app(tenantId: tenantId, id: appId)
        let domains = try await trustedDomains(tenantId: tenantId, homepage: app.homepage)
        let request = try JSAPISignatureRequest(url: url, nonceStr: nonceStr, timestamp: timestamp, trustedDomains: domains, now: now)
        let client = try await clients.client(enterprise: enterprise, app: app, database: database)
        let ticket: String
        do {
            ticket = try await client.jsapiTicket()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // Refused (credentials, permission), unreachable or retried out: the OA may try again later.
            logger.debug("no jsapi_ticket", metadata: ["feishu.app_id": "\(app.appID)", "error": "\(error)"])
            throw YunqiaoError.unavailable("Feishu gave no jsapi_ticket for the app: \(String(describing: error))")
        }
        let signature = FeishuJSAPISignature.signature(ticket: ticket, nonceStr: request.nonceStr, timestamp: request.timestamp,
                                                       url: request.url)
        return JSAPISignatureView(appId: app.appID, timestamp: request.timestamp, nonceStr: request.nonceStr, signature: signature,
                                  url: FeishuJSAPISignature.pageURL(request.url))
    }

    /// The app's H5 trusted domains: the external domain's host and its homepage's host.
    func trustedDomains(tenantId: Int64, homepage: AppHomepage) async throws -> [String] {
        let externalDomain = try await database.integration.externalDomain(tenantId: tenantId)
        let target: String?
        switch homepage {
        case .none: target = nil
        case .custom(let url): target = url
        case .oaApp(let id): target = try? await database.integration.homepageApp(tenantId: tenantId, id: id).url
        }
        return JSAPISignatureRequest.trustedDomains(externalDomain: externalDomain, homepageTarget: target)
    }
}
