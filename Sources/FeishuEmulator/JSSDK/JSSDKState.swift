import Crypto
import Foundation

/// The H5 JS SDK's server side (`feishu-api.md` §2.6): the `jsapi_ticket` of each app, and the check a Feishu client
/// makes when a page calls `h5sdk.config` (offered on the side door, `POST /_emulator/jssdk/config`).
///
/// A ticket lives as long as a tenant token (the configuration's `tokenLifetime`, 7200 s by default) and follows the
/// same refresh rule: the same ticket is answered while at least a quarter of its lifetime is left, a new one after;
/// every ticket stays valid for signatures until its own expiry. Everything is measured on the emulator's clock, so
/// `/_emulator/clock/advance` ages tickets like tokens.
struct JSSDKState: Sendable {
    /// An issued ticket: whose, and until when.
    struct Ticket: Sendable {
        var value: String
        var appID: String
        var expiresAt: Double
    }

    /// The ticket each app gets now, by app id.
    private(set) var current: [String: Ticket] = [:]
    /// Every ticket issued and not yet expired (tickets replaced early still sign until their expiry).
    private(set) var issued: [String: Ticket] = [:]
    private(set) var ticketsIssued = 0

    /// `POST /open-apis/jssdk/ticket/get`: the app's ticket and the seconds it has left (`data.ticket`, `data.expire_in`).
    mutating func ticket(appID: String, now: Double, lifetime: Double, org: inout Org) -> JSON {
        issued = issued.filter { $0.value.expiresAt > now }
        if let ticket = current[appID], ticket.expiresAt - now >= lifetime / 4 {
            return ["ticket": .string(ticket.value), "expire_in": .int(Int((ticket.expiresAt - now).rounded(.down)))]
        }
        let ticket = Ticket(value: "jt-" + org.newHex(40), appID: appID, expiresAt: now + lifetime)
        current[appID] = ticket
        issued[ticket.value] = ticket
        ticketsIssued += 1
        return ["ticket": .string(ticket.value), "expire_in": .int(Int(lifetime))]
    }

    /// What a Feishu client decides on `h5sdk.config({appId, timestamp, nonceStr, signature})` for the page at `url`:
    /// nil when the signature is the SHA-1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` (the URL without its
    /// fragment) with a ticket of the app that has not expired, else why not.
    func refusal(appID: String, url: String, timestamp: String, nonceStr: String, signature: String, now: Double) -> String? {
        let tickets = issued.values.filter { $0.appID == appID && $0.expiresAt > now }
        guard !tickets.isEmpty else { return "the app has no valid jsapi_ticket" }
        let page = url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? url
        for ticket in tickets {
            let text = "jsapi_ticket=\(ticket.value)&noncestr=\(nonceStr)&timestamp=\(timestamp)&url=\(page)"
            let digest = Insecure.SHA1.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
            if digest == signature.lowercased() { return nil }
        }
        return "the signature does not match a valid jsapi_ticket of the app for this url, timestamp and nonceStr"
    }

    /// The side door's view: tickets issued so far, and the current one per app with its expiry.
    func summaryJSON(now: Double) -> JSON {
        let apps: [String: JSON] = current.mapValues { ticket in
            ["ticket": .string(ticket.value), "expire_in": .int(max(0, Int((ticket.expiresAt - now).rounded(.down))))]
        }
        return ["tickets_issued": .int(ticketsIssued), "current": .object(apps)]
    }
}
