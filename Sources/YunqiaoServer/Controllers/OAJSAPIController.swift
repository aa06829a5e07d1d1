import Foundation
import Hummingbird
import NIOCore
import YunqiaoCore
import YunqiaoServices

extension JSAPISignatureView: ResponseEncodable {}

/// JSAPI signatures of the OA's H5 pages (issue #16) under `/api/v1`, with the OA key: the OA server asks for the
/// `h5sdk.config` values of the page it serves and hands them to the page.
///
/// Why the OA key and not an open endpoint for the page's own script: the answer is harmless (a signature opens the
/// JSAPI only on that URL inside the Feishu client), but an open endpoint would let anyone on the internet make the
/// bridge fetch tickets from Feishu and sign any URL it accepts; behind the OA key only the tenant's OA can, each call
/// is tied to a key that can be revoked, and no CORS is opened. The key stays on the OA server, never in the page.
/// Whoever holds the key still gets signatures only for pages on the app's trusted domains (see
/// ``JSAPISignatureRequest``).
struct OAJSAPIController {
    let signer: JSAPISigner
    /// A URL is at most 4 KB; the rest of the body is a few short fields.
    static let maxBody = 16 * 1024

    /// The body: the page's URL, and optionally the nonce and timestamp the page will pass to `h5sdk.config`.
    struct Input: Decodable {
        var url: String
        var nonceStr: String?
        /// Milliseconds since 1970.
        var timestamp: Int64?

        enum CodingKeys: String, CodingKey { case url, nonceStr, timestamp }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            url = try container.decode(String.self, forKey: .url)
            nonceStr = try container.decodeIfPresent(String.self, forKey: .nonceStr)
            do {
                timestamp = try container.decodeIfPresent(Int64.self, forKey: .timestamp)
            } catch let error as DecodingError {
                throw error
            } catch {
                // A fraction (`1.5`) or a number past Int64: Foundation's parser throws its own error here, which the
                // decoder turns into "not valid JSON" without the key. Name the field.
                throw DecodingError.typeMismatch(Int64.self, .init(codingPath: [CodingKeys.timestamp], debugDescription: "not an integer"))
            }
        }
    }

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.post("apps/:id/jsapi-signature") { request, context in try await sign(request, context) }
        return routes
    }

    /// 200 with `{appId, timestamp, nonceStr, signature, url}`; 400 naming the field, 404 for an app outside the OA
    /// key's tenant, 409 naming `url` for a host outside the app's trusted domains, 503 when Feishu gives no ticket.
    private func sign(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let caller = try OAMessagesAPIController.caller(context)
        let appId = try context.id("id")
        // Unknown fields are refused: `noncestr` (the signed text's spelling) instead of `nonceStr` would otherwise be
        // ignored, and the page would pass a nonce that was never signed.
        let input = try JSONBody.decode(Input.self, from: try await request.body.collect(within: Self.maxBody), refuseUnknownFields: true)
        let view = try await signer.sign(tenantId: caller.tenantId, appId: appId, url: input.url, nonceStr: input.nonceStr,
                                         timestamp: input.timestamp, now: Date())
        var response = try view.response(from: request, context: context)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
