import Crypto
import Foundation
import NIOHTTP1

/// An app's `jsapi_ticket` as `POST /open-apis/jssdk/ticket/get` answers it (`feishu-api.md` §2.6).
public struct FeishuJSAPITicket: Sendable, Equatable, Decodable {
    public var ticket: String
    /// Seconds the ticket has left.
    public var expireIn: Int

    public init(ticket: String, expireIn: Int) {
        self.ticket = ticket
        self.expireIn = expireIn
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        guard let ticket = c.lenientString(AnyKey("ticket")), !ticket.isEmpty else {
            throw DecodingError.keyNotFound(AnyKey("ticket"), .init(codingPath: c.codingPath, debugDescription: "no ticket"))
        }
        self.ticket = ticket
        expireIn = c.lenientInt(AnyKey("expire_in")) ?? 7200
    }
}

/// H5 JSAPI authorization (`feishu-api.md` §2.6): the app's `jsapi_ticket`, fetched with the tenant token and cached
/// per app (one fetch however many callers ask at once, refreshed 10 minutes before it expires), and the signature a
/// page passes to `h5sdk.config`.
extension FeishuClient {
    static let jssdkTicketAPI = "POST /open-apis/jssdk/ticket/get"

    /// Fetches a ticket from the platform, uncached: `POST /open-apis/jssdk/ticket/get` with the tenant token and an
    /// empty JSON object. Goes through ``call(_:as:)`` (limiter, retries, token refresh). Use ``jsapiTicket()``.
    public func fetchJSAPITicket() async throws -> FeishuJSAPITicket {
        try await call(FeishuRequest(.POST, "/open-apis/jssdk/ticket/get", body: Data("{}".utf8)))
    }

    /// The app's current ticket from the cache shared by every copy of this client, fetched when missing or about to
    /// expire.
    public func jsapiTicket() async throws -> String {
        try await jsapiTickets.get { [self] in
            let fetched = try await fetchJSAPITicket()
            return (fetched.ticket, fetched.expireIn)
        }
    }

    /// Forgets `ticket` if it is still the cached one, so the next ``jsapiTicket()`` fetches a new one.
    public func invalidateJSAPITicket(_ ticket: String) async {
        await jsapiTickets.invalidate(ticket)
    }
}

/// The JSAPI signature of a page (`feishu-api.md` §2.6), a pure function of its inputs.
public enum FeishuJSAPISignature {
    /// `hex(sha1("jsapi_ticket=" + ticket + "&noncestr=" + nonceStr + "&timestamp=" + timestamp + "&url=" + url))`:
    /// the fields in exactly this order, the values as they are (not escaped), `timestamp` in milliseconds, `url`
    /// without its `#fragment` (see ``pageURL(_:)``). Lower-case hex, 40 characters.
    public static func signature(ticket: String, nonceStr: String, timestamp: Int64, url: String) -> String {
        let text = "jsapi_ticket=\(ticket)&noncestr=\(nonceStr)&timestamp=\(timestamp)&url=\(pageURL(url))"
        return Insecure.SHA1.hash(data: Data(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The URL a signature covers: everything before the first `#`.
    public static func pageURL(_ url: String) -> String {
        guard let hash = url.firstIndex(of: "#") else { return url }
        return String(url[..<hash])
    }
}
