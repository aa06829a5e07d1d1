import AsyncHTTPClient
import Crypto
import FeishuEmulator
import Foundation
import HTTPTypes
import JWTKit
import Logging
import Testing
@testable import YunqiaoTesting
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices
import YunqiaoCore

/// The bridge as an OpenID Connect provider (issue #16): a registered OA client sends a user to authorize; the user
/// signs in with Feishu (the emulator's authorize page) and binds on first visit; the OA exchanges the code (PKCE,
/// client secret) for an ID token that verifies against the JWKS, and reads userinfo. Codes, nonces and secrets are
/// checked; redirect URIs match exactly.
@Suite(.timeLimit(.minutes(2)))
struct OIDCProviderTests {
    typealias Visit = FirstVisitTests
    static let redirect = "https://oa.example/oidc/callback"
    struct Client: Decodable { var id: Int64; var clientID: String; var secret: String?; var issuer: String? }
    struct Tokens: Decodable { var access_token: String; var id_token: String; var token_type: String; var expires_in: Int }
    struct OAuthError: Decodable { var error: String }
    struct Claims: JWTPayload {
        var iss: IssuerClaim
        var sub: SubjectClaim
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var nonce: String?
        var name: String?
        var preferred_username: String?
        func verify(using algorithm: some JWTAlgorithm) async throws { try exp.verifyNotExpired() }
    }

    static func register(_ env: APIEnvironment, app: Int64) async throws -> Client {
        let created = try await env.api.post("oidc-clients", #"""
            {"name":"OA 门户","redirectURIs":["\#(redirect)"],"postLogoutRedirectURIs":["https://oa.example/bye"],"appId":\#(app)}
            """#)
        #expect(created.status == .created, "\(created.text)")
        return try created.decode(Client.self)
    }

    /// authorize → (the emulator signs `user` in) → the bridge's callback: its answer.
    static func signIn(_ env: APIEnvironment, _ client: Client, app: Int64, as user: String, query extra: String = "") async throws -> Answer {
        let authorize = try await env.anonymous.get("/oidc/\(env.tenantId)/authorize?response_type=code&client_id=\(client.clientID)"
            + "&redirect_uri=\(redirect.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&scope=openid+profile&state=s-1" + extra)
        #expect(authorize.status == .found, "\(authorize.text)")
        let location = try #require(authorize.headers[.location])
        let cookie = try #require(authorize.cookie("yq_oauth_state"))
        let back = try await Visit.authorize(location, as: user)
        return try await Visit.callback(env, try Visit.callbackPath(try #require(back.location), app: app), cookie: cookie)
    }

    static func code(_ answer: Answer) throws -> String {
        let location = try #require(answer.headers[.location])
        #expect(location.hasPrefix(redirect + "?"), "\(location)")
        let items = URLComponents(string: location)?.queryItems ?? []
        #expect(items.first { $0.name == "state" }?.value == "s-1")
        return try #require(items.first { $0.name == "code" }?.value)
    }

    static func exchange(_ env: APIEnvironment, _ client: Client, code: String, verifier: String? = nil, secret: String? = nil) async throws -> Answer {
        var fields = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect)]
        if let verifier { fields.append(("code_verifier", verifier)) }
        let basic = Data("\(client.clientID):\(secret ?? client.secret ?? "")".utf8).base64EncodedString()
        return try await env.anonymous.call(.post, "/oidc/\(env.tenantId)/token", body: formBody(fields),
                                            headers: [.contentType: "application/x-www-form-urlencoded", .authorization: "Basic \(basic)"])
    }

    @Test func aUserSignsInBindsAndTheOAGetsAVerifiedIDToken() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Visit.setUp(env)
            let app = setup.app.id
            let client = try await Self.register(env, app: app)
            let issuer = "\(Visit.domain)/oidc/\(env.tenantId)"
            #expect(client.issuer == issuer && client.secret?.hasPrefix("yqs_") == true)
            #expect(try await env.api.get("oidc-clients").text.contains("yqs_") == false)  // the secret is shown once

            let discovery = try await env.anonymous.get("/oidc/\(env.tenantId)/.well-known/openid-configuration")
            let document = try discovery.decode(OIDCProvider.DiscoveryDocument.self)
            #expect(document.issuer == issuer && document.token_endpoint == issuer + "/token" && document.code_challenge_methods_supported == ["S256"])

            // First visit: not bound → the OA login form → bound → back to the OA with a code.
            let verifier = String(repeating: "v", count: 50)
            let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let form = try await Self.signIn(env, client, app: app, as: "root1",
                                             query: "&nonce=n-1&code_challenge=\(challenge)&code_challenge_method=S256")
            #expect(form.status == .ok && form.text.contains("name=\"token\""))
            #expect(form.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("https://oa.example") == true)
            let bound = try await Visit.bind(env, app: app, token: try Visit.token(in: form), loginID: "zhang", password: Visit.oaPassword)
            #expect(bound.status == .seeOther)
            let code = try Self.code(bound)

            // The exchange: a wrong verifier spends the code; the next sign-in (bound now) is straight back with one.
            #expect(try await Self.exchange(env, client, code: code, verifier: String(repeating: "w", count: 50)).decode(OAuthError.self).error
                == "invalid_grant")
            #expect(try await Self.exchange(env, client, code: code, verifier: verifier).status == .badRequest)  // spent
            let again = try await Self.signIn(env, client, app: app, as: "root1", query: "&nonce=n-2&code_challenge=\(challenge)&code_challenge_method=S256")
            #expect(again.status == .found)
            let second = try Self.code(again)
            #expect(try await Self.exchange(env, client, code: second, verifier: verifier, secret: "wrong").status == .unauthorized)
            let answer = try await Self.exchange(env, client, code: second, verifier: verifier)
            #expect(answer.status == .ok && answer.headers[.cacheControl] == "no-store", "\(answer.text)")
            let tokens = try answer.decode(Tokens.self)
            #expect(tokens.token_type == "Bearer" && tokens.expires_in == 3600)

            // The ID token verifies against the JWKS, as the OA's library checks it.
            let jwks = try await env.anonymous.get("/oidc/\(env.tenantId)/jwks").text
            let keys = try await JWTKeyCollection().add(jwksJSON: jwks)
            let claims = try await keys.verify(tokens.id_token, as: Claims.self)
            #expect(claims.iss.value == issuer && claims.sub.value == "2001" && claims.aud.value == [client.clientID])
            #expect(claims.nonce == "n-2" && claims.name == "张三" && claims.preferred_username == "zhang")

            let info = try await env.anonymous.call(.get, "/oidc/\(env.tenantId)/userinfo", headers: [.authorization: "Bearer \(tokens.access_token)"])
            #expect(info.status == .ok && info.text.contains(#""sub":"2001""#), "\(info.text)")
            let refused = try await env.anonymous.call(.get, "/oidc/\(env.tenantId)/userinfo", headers: [.authorization: "Bearer yqa_forged"])
            #expect(refused.status == .unauthorized && refused.headers[.wwwAuthenticate]?.contains("invalid_token") == true)

            // A nonce is taken once; RP-initiated logout goes back only to a registered address.
            let replayed = try await env.anonymous.get("/oidc/\(env.tenantId)/authorize?response_type=code&client_id=\(client.clientID)"
                + "&redirect_uri=\(Self.redirect)&scope=openid&state=s-1&nonce=n-2")
            #expect(replayed.headers[.location]?.contains("error=invalid_request") == true)
            let logout = try await env.anonymous.get("/oidc/\(env.tenantId)/logout?id_token_hint=\(tokens.id_token)"
                + "&post_logout_redirect_uri=https://oa.example/bye&state=x")
            #expect(logout.status == .found && logout.headers[.location] == "https://oa.example/bye?state=x")
            let elsewhere = try await env.anonymous.get("/oidc/\(env.tenantId)/logout?id_token_hint=\(tokens.id_token)"
                + "&post_logout_redirect_uri=https://evil.example/")
            #expect(elsewhere.status == .badRequest && elsewhere.headers[.location] == nil)
            #expect(try await env.database.admins.auditLog(tenantId: env.tenantId).filter { $0.action == "oidc.login" }.count == 2)
        }
    }

    @Test func untrustedRequestsNeverRedirect() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Visit.setUp(env)
            let client = try await Self.register(env, app: setup.app.id)
            let base = "/oidc/\(env.tenantId)/authorize?response_type=code&scope=openid&state=s"
            // An unknown client, or a redirect URI that is not exactly a registered one: the bridge's page, no redirect.
            for query in ["&client_id=nobody&redirect_uri=\(Self.redirect)", "&client_id=\(client.clientID)&redirect_uri=https://evil.example/cb",
                          "&client_id=\(client.clientID)&redirect_uri=\(Self.redirect)/extra", "&client_id=\(client.clientID)"]
            {
                let answer = try await env.anonymous.get(base + query)
                #expect(answer.status == .badRequest && answer.headers[.location] == nil, "\(query)")
            }
            // A trusted client with a bad request: back to it with the error and the state.
            let cases = [("&scope=profile", "invalid_scope"), ("&prompt=none", "login_required"),
                         ("&code_challenge=abc&code_challenge_method=plain", "invalid_request")]
            for (extra, error) in cases {
                let answer = try await env.anonymous.get(base.replacingOccurrences(of: "&scope=openid", with: "") + (extra.hasPrefix("&scope") ? "" : "&scope=openid")
                    + "&client_id=\(client.clientID)&redirect_uri=\(Self.redirect)" + extra)
                #expect(answer.status == .found && answer.headers[.location]?.contains("error=\(error)") == true, "\(extra): \(answer.headers[.location] ?? "")")
            }
            // Another tenant's issuer does not know the client.
            #expect(try await env.anonymous.get("/oidc/\(env.tenantId + 1)/authorize?client_id=\(client.clientID)&redirect_uri=\(Self.redirect)").status
                == .badRequest)
            // The token endpoint: an unknown grant, a forged code.
            let grant = try await env.anonymous.call(.post, "/oidc/\(env.tenantId)/token", body: "grant_type=password",
                                                     headers: [.contentType: "application/x-www-form-urlencoded"])
            #expect(try grant.decode(OAuthError.self).error == "unsupported_grant_type")
            #expect(try await Self.exchange(env, client, code: "forged").decode(OAuthError.self).error == "invalid_grant")
        }
    }

    @Test func keysRotateAndOldTokensStillVerify() async throws {
        let database = try YunqiaoDatabase.inMemory()
        let tenant = try await database.integration.tenant().id ?? 0
        let provider = OIDCProvider(database: database, logger: .init(label: "test"))
        let now = Date()
        let first = try await provider.signingKey(tenantId: tenant, now: now)
        #expect(try await provider.signingKey(tenantId: tenant, now: now.addingTimeInterval(86_400)).kid == first.kid)
        let later = now.addingTimeInterval(OIDCProvider.keyRotation + 1)
        let second = try await provider.signingKey(tenantId: tenant, now: later)
        #expect(second.kid != first.kid)
        // Both in the JWKS while tokens of the first may live; the first leaves after a rotation more.
        let both = try await provider.jwks(tenantId: tenant, now: later)
        #expect(Set(both.keys.map(\.kid)) == [first.kid, second.kid] && both.keys.allSatisfy { $0.alg == "RS256" && $0.kty == "RSA" })
        _ = try await provider.signingKey(tenantId: tenant, now: later.addingTimeInterval(OIDCProvider.keyRotation + 1))
        #expect(!(try await provider.jwks(tenantId: tenant, now: later.addingTimeInterval(OIDCProvider.keyRotation + 2)).keys.map(\.kid).contains(first.kid)))
    }

    @Test func clientsAreCheckedByFieldAuditedAndKeptApart() async throws {
        try await APIEnvironment.with(emulator: true) { env in
            let setup = try await Visit.setUp(env)
            let app = setup.app.id
            let cases: [(String, String)] = [
                (#"{"name":"OA","redirectURIs":[],"appId":\#(app)}"#, "redirectURIs"),
                (#"{"name":"OA","redirectURIs":["https://oa.example/cb#frag"],"appId":\#(app)}"#, "redirectURIs[0]"),
                (#"{"name":"OA","redirectURIs":["ftp://oa.example/cb"],"appId":\#(app)}"#, "redirectURIs[0]"),
                (#"{"name":"OA","redirectURIs":["https://oa.example/cb"],"postLogoutRedirectURIs":["/bye"],"appId":\#(app)}"#, "postLogoutRedirectURIs[0]"),
                (#"{"name":" ","redirectURIs":["https://oa.example/cb"],"appId":\#(app)}"#, "name"),
                (#"{"name":"OA","redirectURIs":["https://oa.example/cb"],"appId":\#(app),"secret":"mine"}"#, "secret"),
            ]
            for (body, field) in cases {
                let refused = try await env.api.post("oidc-clients", body)
                #expect(refused.status == .badRequest && refused.error?.field == field, "\(body): \(refused.text)")
            }
            #expect(try await env.api.post("oidc-clients", #"{"name":"OA","redirectURIs":["https://oa.example/cb"],"appId":999}"#).status == .notFound)
            let client = try await Self.register(env, app: app)
            #expect(try await env.otherAPI.get("oidc-clients/\(client.id)").status == .notFound)
            #expect(try await env.otherAPI.get("oidc-clients").text.contains(client.clientID) == false)
            let rotated = try await env.api.post("oidc-clients/\(client.id)/secret").decode(Client.self)
            #expect(rotated.secret != nil && rotated.secret != client.secret)
            let changed = try await env.api.put("oidc-clients/\(client.id)", #"{"name":"新 OA","redirectURIs":["https://oa2.example/cb"],"appId":\#(app)}"#)
            #expect(changed.status == .ok && changed.text.contains("oa2.example"))
            #expect(try await env.api.delete("oidc-clients/\(client.id)").status == .noContent)
            let actions = try await env.database.admins.auditLog(tenantId: env.tenantId).map(\.action)
            #expect(["oidcClient.create", "oidcClient.rotateSecret", "oidcClient.update", "oidcClient.delete"].allSatisfy(actions.contains))
        }
    }
}
