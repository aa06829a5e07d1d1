import Foundation

/// The QR login of `LarkSSOSDKWebQRCode` (`feishu-api.md` §2.7) as the actor answers it:
///
/// - `GET /obj/feishu-static/lark/passport/qrcode/LarkSSOSDKWebQRCode-1.0.{1,2,3}.js`: the SDK script (`window.QRLogin`).
/// - `GET /suite/passport/sso/qr?goto=…&sdk_version=…`: the iframe: checks `goto`, starts a session, shows its QR code
///   and polls it; once confirmed it posts the `tmp_code` to the parent page.
/// - `GET /suite/passport/sso/qr/poll?qr=…`: `{"status": "waiting"|"scanned"|"confirmed"|"expired", "tmp_code"?}`.
/// - `GET /suite/passport/sso/scan?qr=…[&q=…][&login_as=…]` and `POST /suite/passport/sso/scan` (form `qr`,
///   `login_as`): the phone, which scans and confirms as one of the tenant's users.
///
/// The `tmp_code` is spent by the authorize page (`tmp_code=` on `goto`, see ``authorizePage(_:)``).
extension EmulatorState {
    /// The authorize paths a `goto` may name: the current page and the historic passport one.
    static let qrLoginAuthorizePaths = ["/open-apis/authen/v1/authorize", "/suite/passport/oauth/authorize"]

    func qrLoginPage(_ call: APICall) -> EmulatorResponse {
        switch call.endpoint {
        case .qrLoginScript: qrLoginScript(call)
        case .qrLoginFrame: qrLoginFrame(call)
        case .qrLoginPoll: qrLoginPoll(call)
        case .qrLoginScan, .qrLoginConfirm: qrLoginScan(call)
        default: .notFound
        }
    }

    private func qrLoginScript(_ call: APICall) -> EmulatorResponse {
        guard let version = QRLoginScript.version(ofFile: call.pathParameters["file"] ?? "") else { return .notFound }
        let fallback = "http://" + (call.authority ?? "\(configuration.host):\(configuration.port)")
        return EmulatorResponse(status: 200, body: .javascript(QRLoginScript.source(version: version, fallbackOrigin: fallback)),
                                headers: [("Cache-Control", "no-cache")])
    }

    private func qrLoginFrame(_ call: APICall) -> EmulatorResponse {
        let query = FormURLEncoded.parse(call.rawQuery ?? "")
        let version = query["sdk_version"]?.last.flatMap { $0.isEmpty ? nil : $0 } ?? QRLoginScript.currentVersion
        let appID: String
        switch qrLoginApp(goto: query["goto"]?.last, authority: call.authority) {
        case .success(let found): appID = found
        case .failure(let refusal):
            admin.countError(call)
            return QRLoginPage.frameError(refusal.message)
        }
        let id = qrLogin.createSession(appID: appID, sdkVersion: version, now: admin.now, org: &contact.org)
        let refresh = QRLoginPage.framePath + "?" + FormURLEncoded.encode([("goto", query["goto"]?.last ?? ""), ("sdk_version", version)])
        return QRLoginPage.frame(id: id, rawCode: QRLoginScript.postsRawCode(version), refresh: refresh)
    }

    /// The app of a `goto`: an absolute authorize URL of this emulator (same host as the request, loopback names
    /// alike) with the `client_id` of an app and a `redirect_uri`.
    private func qrLoginApp(goto: String?, authority: String?) -> Result<String, GotoRefusal> {
        func refuse(_ message: String) -> Result<String, GotoRefusal> { .failure(GotoRefusal(message: message)) }
        guard let goto, !goto.isEmpty else { return refuse("goto is missing.") }
        guard let components = URLComponents(string: goto), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return refuse("goto is not an absolute http(s) URL: \(goto)") }
        guard Self.qrLoginAuthorizePaths.contains(components.path) else {
            return refuse("goto is not an authorize URL (\(Self.qrLoginAuthorizePaths.joined(separator: " or "))): \(goto)")
        }
        if let authority, let here = URLComponents(string: "\(scheme)://\(authority)"), let hereHost = here.host,
           !Self.sameServer(host, components.port, hereHost, here.port, scheme: scheme)
        {
            return refuse("goto points at \(host), not at this emulator (\(authority)).")
        }
        let query = FormURLEncoded.parse(components.percentEncodedQuery ?? "")
        guard let appID = query["client_id"]?.last, !appID.isEmpty else { return refuse("goto has no client_id.") }
        guard admin.apps[appID] != nil else { return refuse("The app \(appID) of goto does not exist in this tenant.") }
        guard let redirect = query["redirect_uri"]?.last, AuthorizePage.isValidRedirectURI(redirect) else {
            return refuse("goto has no absolute redirect_uri.")
        }
        return .success(appID)
    }

    private static func sameServer(_ host: String, _ port: Int?, _ otherHost: String, _ otherPort: Int?, scheme: String) -> Bool {
        let loopback: Set<String> = ["localhost", "127.0.0.1", "::1", "[::1]"]
        let defaultPort = scheme == "https" ? 443 : 80
        guard (port ?? defaultPort) == (otherPort ?? defaultPort) else { return false }
        let a = host.lowercased(), b = otherHost.lowercased()
        return a == b || (loopback.contains(a) && loopback.contains(b))
    }

    private func qrLoginPoll(_ call: APICall) -> EmulatorResponse {
        let id = FormURLEncoded.parse(call.rawQuery ?? "")["qr"]?.last ?? ""
        guard let found = qrLogin.status(of: id, now: admin.now) else {
            // An unknown session reads as expired, so the frame offers a new QR code.
            return EmulatorResponse(status: 404, body: .json(["status": "expired", "error": "no such QR code"]),
                                    headers: [("Cache-Control", "no-store")])
        }
        var answer: [String: JSON] = ["status": .string(found.status.rawValue)]
        if let code = found.tmpCode { answer["tmp_code"] = .string(code) }
        return EmulatorResponse(status: 200, body: .json(.object(answer)), headers: [("Cache-Control", "no-store")])
    }

    /// The phone: opening a session marks it scanned and lists the users; a `login_as` (the confirm form, or the
    /// query shortcut for tests) confirms as that user.
    private func qrLoginScan(_ call: APICall) -> EmulatorResponse {
        var fields = FormURLEncoded.parse(call.rawQuery ?? "")
        if call.endpoint == .qrLoginConfirm {
            fields.merge(FormURLEncoded.parse(String(decoding: call.body, as: UTF8.self))) { _, body in body }
        }
        func value(_ name: String) -> String? { fields[name]?.last.flatMap { $0.isEmpty ? nil : $0 } }
        func refuse(_ response: EmulatorResponse) -> EmulatorResponse {
            admin.countError(call)
            return response
        }
        let now = admin.now
        guard let id = value("qr") else {
            return refuse(AuthorizePage.error(code: nil, message: "qr is missing.", title: "QR login failed"))
        }
        let session: QRLoginState.Session
        do throws(QRLoginState.Refusal) {
            session = try qrLogin.openSession(id, now: now)
        } catch {
            return refuse(QRLoginPage.refused(error))
        }
        guard let login = value("login_as") else {
            if call.endpoint == .qrLoginConfirm {
                return refuse(AuthorizePage.error(code: 20001, message: "login_as is missing.", title: "QR login failed"))
            }
            try? qrLogin.markScanned(id, now: now)
            return QRLoginPage.scan(id: id, appID: session.appID, search: value("q"), org: contact.org)
        }
        guard let user = loginUser(login, appID: session.appID) else {
            return refuse(AuthorizePage.error(code: 20008, message: "No user with open_id, union_id, user_id or mobile \(login).",
                                              title: "QR login failed"))
        }
        guard !user.status.isResigned, !user.status.isFrozen else {
            return refuse(AuthorizePage.error(
                code: 20066, message: "\(user.name) cannot log in: the account is \(user.status.isResigned ? "resigned" : "frozen").",
                title: "QR login failed"))
        }
        do throws(QRLoginState.Refusal) {
            _ = try qrLogin.confirm(id, userKey: user.key, now: now, org: &contact.org)
        } catch {
            return refuse(QRLoginPage.refused(error))
        }
        return QRLoginPage.confirmed(userName: user.name)
    }
}

/// Why the QR frame cannot use its `goto`.
private struct GotoRefusal: Error {
    var message: String
}
