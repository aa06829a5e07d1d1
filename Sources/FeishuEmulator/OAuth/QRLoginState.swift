import Foundation

/// The QR login of `LarkSSOSDKWebQRCode` (`feishu-api.md` §2.7): the sessions behind the QR codes the SDK's iframe
/// shows, and the single-use `tmp_code`s a confirmation on the phone issues for the authorize page.
///
/// A session lives 5 minutes: it starts `waiting`, is `scanned` when the phone page opens it and `confirmed` when a
/// user confirms there; the confirmation issues a `tmp_code` (5 minutes, single use, bound to the session's app and
/// the user) that the page's parent appends to its `goto` authorize URL. Times come from the caller's clock.
struct QRLoginState: Sendable {
    /// What the iframe's poll answers.
    enum Status: String, Sendable {
        case waiting, scanned, confirmed, expired
    }

    /// A QR code shown in an iframe: for which app and SDK version, until when, and how far it got.
    struct Session: Sendable {
        var appID: String
        var sdkVersion: String
        var expiresAt: Double
        var scanned = false
        var tmpCode: String?
    }

    /// A temp code issued by a confirmation on the phone.
    struct TmpCode: Sendable {
        var appID: String
        var userKey: Int
        var expiresAt: Double
        var used = false
    }

    /// Why the phone cannot open or confirm a session.
    enum Refusal: Error, Sendable, Equatable {
        case unknown, expired, alreadyConfirmed
    }

    static let sessionLifetime = 300.0
    static let tmpCodeLifetime = 300.0

    private(set) var sessions: [String: Session] = [:]
    private(set) var tmpCodes: [String: TmpCode] = [:]
    private(set) var sessionsCreated = 0
    private(set) var tmpCodesIssued = 0
    private(set) var tmpCodesRedeemed = 0

    /// A new `waiting` session for `appID`; answers its id.
    mutating func createSession(appID: String, sdkVersion: String, now: Double, org: inout Org) -> String {
        purgeIfDue(now: now)
        var id = org.newHex(32)
        while sessions[id] != nil { id = org.newHex(32) }
        sessions[id] = Session(appID: appID, sdkVersion: sdkVersion, expiresAt: now + Self.sessionLifetime)
        sessionsCreated += 1
        return id
    }

    /// The session's status and, once confirmed, its `tmp_code`; nil for an unknown session. A confirmed session
    /// stays `confirmed` while its `tmp_code` lives (even past the session's own 5 minutes), then is `expired`.
    func status(of id: String, now: Double) -> (status: Status, tmpCode: String?)? {
        guard let session = sessions[id] else { return nil }
        if let code = session.tmpCode {
            guard let record = tmpCodes[code], record.expiresAt > now else { return (.expired, nil) }
            return (.confirmed, code)
        }
        if session.expiresAt <= now { return (.expired, nil) }
        return (session.scanned ? .scanned : .waiting, nil)
    }

    /// A session the phone may still confirm: known, not expired, not confirmed yet.
    func openSession(_ id: String, now: Double) throws(Refusal) -> Session {
        guard let session = sessions[id] else { throw .unknown }
        guard session.tmpCode == nil else { throw .alreadyConfirmed }
        guard session.expiresAt > now else { throw .expired }
        return session
    }

    /// The phone opened the session.
    mutating func markScanned(_ id: String, now: Double) throws(Refusal) {
        _ = try openSession(id, now: now)
        sessions[id]?.scanned = true
    }

    /// The user confirmed on the phone: the session is `confirmed` with a fresh `tmp_code` for its app and the user.
    mutating func confirm(_ id: String, userKey: Int, now: Double, org: inout Org) throws(Refusal) -> String {
        let session = try openSession(id, now: now)
        var code = Self.newTmpCode(&org)
        while tmpCodes[code] != nil { code = Self.newTmpCode(&org) }
        tmpCodes[code] = TmpCode(appID: session.appID, userKey: userKey, expiresAt: now + Self.tmpCodeLifetime)
        sessions[id]?.scanned = true
        sessions[id]?.tmpCode = code
        tmpCodesIssued += 1
        return code
    }

    /// Spends a `tmp_code` of `appID`: the user's key, or nil when the code is unknown, another app's, used or
    /// expired (a refused code is not spent).
    mutating func redeem(_ code: String, appID: String, now: Double) -> Int? {
        guard let record = tmpCodes[code], record.appID == appID, !record.used, record.expiresAt > now else { return nil }
        tmpCodes[code]?.used = true
        tmpCodesRedeemed += 1
        return record.userKey
    }

    /// The side door's view (`qr_login` in `/_emulator/state`).
    func summaryJSON(now: Double) -> JSON {
        let live = sessions.values.filter { $0.expiresAt > now && $0.tmpCode == nil }.count
        return ["sessions_created": .int(sessionsCreated), "sessions_waiting": .int(live),
                "tmp_codes_issued": .int(tmpCodesIssued), "tmp_codes_redeemed": .int(tmpCodesRedeemed)]
    }

    /// 32 characters of `[A-Za-z0-9_-]` (24 random bytes, base64url).
    private static func newTmpCode(_ org: inout Org) -> String {
        Base64URL.encode((0..<24).map { _ in UInt8(truncatingIfNeeded: org.random.next()) })
    }

    /// Drops sessions and codes that ended more than an hour ago (until then they are answered as expired).
    private mutating func purgeIfDue(now: Double) {
        guard sessionsCreated % 256 == 255 else { return }
        let cutoff = now - 3_600
        sessions = sessions.filter { _, session in
            session.expiresAt > cutoff || (session.tmpCode.flatMap { tmpCodes[$0] }?.expiresAt ?? 0) > cutoff
        }
        tmpCodes = tmpCodes.filter { $0.value.expiresAt > cutoff }
    }
}
