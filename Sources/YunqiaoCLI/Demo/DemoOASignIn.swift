import AsyncHTTPClient
import Crypto
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import YunqiaoCore
import YunqiaoServices
import YunqiaoStore

/// The demo OA's sign-in through the bridge's OpenID Connect provider (issue #16): "用飞书登录" on the OA's homepage
/// sends the browser to the bridge's authorize endpoint (code flow, PKCE, state, nonce); the bridge signs the user in
/// with Feishu (the emulator) and binds them on the first visit; the OA's callback exchanges the code with its client
/// secret and reads userinfo, then keeps a session cookie. What a real OA does with any OIDC library.
actor DemoOASignIn {
    struct Client: Sendable {
        var issuer: String
        var clientID: String
        var secret: String
        var redirectURI: String
    }

    struct Pending: Sendable {
        var verifier: String
        var nonce: String
        var started: Date
    }

    private var client: Client?
    private var pending: [String: Pending] = [:]
    /// Session id → who signed in (name, login id).
    private var sessions: [String: (name: String, login: String)] = [:]
    static let cookie = "demo_oa_session"

    /// Registers the demo OA with the bridge (once; a new secret at every start, since a secret is shown only once).
    static func register(store: YunqiaoDatabase, tenantId: Int64, appId: Int64, oa: String) async throws -> (clientID: String, secret: String) {
        let redirect = oa + "/portal/oidc/callback"
        let secret = Passwords.token(prefix: "yqs_", bytes: 32)
        let actor = AuditActor("demo")
        let input = OIDCClientInput(name: "演示 OA", redirectURIs: [redirect], postLogoutRedirectURIs: [oa + "/portal"], appId: appId)
        if let existing = try await store.oidc.oidcClients(tenantId: tenantId).first(where: { $0.name == "演示 OA" }), let id = existing.id {
            _ = try await store.oidc.updateOIDCClient(tenantId: tenantId, id: id, input, by: actor)
            try await store.oidc.setOIDCClientSecret(tenantId: tenantId, id: id, secret: secret, by: actor)
            return (existing.clientID, secret)
        }
        let created = try await store.oidc.createOIDCClient(tenantId: tenantId, input, clientID: Passwords.token(prefix: "yqc_", bytes: 12),
                                                            secret: secret, by: actor, at: Date())
        return (created.clientID, secret)
    }

    func configure(_ client: Client) { self.client = client }

    /// Who the session cookie says signed in.
    func signedIn(_ request: Request) -> (name: String, login: String)? {
        request.cookies[Self.cookie].flatMap { sessions[$0.value] }
    }

    /// `GET /portal/login`: to the bridge's authorize endpoint.
    func start() -> Response {
        guard let client else { return DemoOAPortal.html(DemoOAPortal.page(title: "稍候 · Not ready", body: "<p>云桥还在启动。</p>"), status: .serviceUnavailable) }
        let state = Passwords.token(bytes: 16), verifier = Passwords.token(bytes: 48), nonce = Passwords.token(bytes: 16)
        pending = pending.filter { Date().timeIntervalSince($0.value.started) < 600 }
        pending[state] = Pending(verifier: verifier, nonce: nonce, started: Date())
        let challenge = Passwords.base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
        let query = PercentEncoding.query(["response_type": "code", "client_id": client.clientID, "redirect_uri": client.redirectURI,
                                           "scope": "openid profile email", "state": state, "nonce": nonce, "code_challenge": challenge,
                                           "code_challenge_method": "S256"])
        return Response.redirect(to: client.issuer + "/authorize" + query, type: .found)
    }

    /// `GET /portal/oidc/callback?code=&state=`: the code for tokens, userinfo, a session.
    func callback(code: String?, state: String?, error: String?) async -> Response {
        guard let client, let state, let started = pending.removeValue(forKey: state) else {
            return DemoOAPortal.html(DemoOAPortal.page(title: "登录失败 · Sign-in failed", body: "<p>登录请求已过期，请<a href=\"/portal/login\">重新登录</a>。</p>"),
                                     status: .badRequest)
        }
        guard let code, error == nil else {
            return DemoOAPortal.html(DemoOAPortal.page(title: "登录失败 · Sign-in failed",
                                                       body: "<p>云桥拒绝了登录：<code>\(DemoOAPortal.escape(error ?? "?"))</code></p>"), status: .forbidden)
        }
        do {
            var request = HTTPClientRequest(url: client.issuer + "/token")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(client.clientID):\(client.secret)".utf8).base64EncodedString())
            request.body = .bytes(ByteBuffer(string: String(PercentEncoding.query(["grant_type": "authorization_code", "code": code,
                                                                                   "redirect_uri": client.redirectURI,
                                                                                   "code_verifier": started.verifier]).dropFirst())))
            let answer = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let tokens = try JSONSerialization.jsonObject(with: Data(try await answer.body.collect(upTo: 1 << 20).readableBytesView)) as? [String: Any]
            guard answer.status == .ok, let access = tokens?["access_token"] as? String else { throw DemoError.refused("\(tokens ?? [:])") }
            var info = HTTPClientRequest(url: client.issuer + "/userinfo")
            info.headers.add(name: "Authorization", value: "Bearer " + access)
            let user = try JSONSerialization.jsonObject(with: Data(try await HTTPClient.shared.execute(info, timeout: .seconds(10)).body
                .collect(upTo: 1 << 20).readableBytesView)) as? [String: Any]
            let session = Passwords.token(bytes: 24)
            sessions[session] = (user?["name"] as? String ?? "?", user?["preferred_username"] as? String ?? "?")
            var response = Response.redirect(to: "/portal", type: .found)
            response.setCookie(Cookie(name: Self.cookie, value: session, path: "/portal", httpOnly: true, sameSite: .lax))
            say("demo OA: \(user?["name"] as? String ?? "?") signed in through the bridge (OpenID Connect)")
            return response
        } catch {
            return DemoOAPortal.html(DemoOAPortal.page(title: "登录失败 · Sign-in failed", body: "<p>换取令牌失败：\(DemoOAPortal.escape("\(error)"))</p>"),
                                     status: .badGateway)
        }
    }

    /// `GET /portal/logout`: the OA's session ends.
    func logout(_ request: Request) -> Response {
        if let id = request.cookies[Self.cookie]?.value { sessions[id] = nil }
        var response = Response.redirect(to: "/portal", type: .found)
        response.setCookie(Cookie(name: Self.cookie, value: "", maxAge: 0, path: "/portal"))
        return response
    }

    enum DemoError: Error { case refused(String) }
}
