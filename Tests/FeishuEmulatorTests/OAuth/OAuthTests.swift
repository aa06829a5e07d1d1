import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

/// User login (`feishu-api.md` §2.4–2.5): the authorize page, `POST /open-apis/authen/v2/oauth/token`, the legacy
/// v1 exchanges and `GET /open-apis/authen/v1/user_info`.
@Suite struct OAuthTests {
    static let authorizePath = "/open-apis/authen/v1/authorize"
    static let tokenPath = "/open-apis/authen/v2/oauth/token"
    static let userInfoPath = "/open-apis/authen/v1/user_info"
    static let redirect = "https://bridge.example.com/oauth/callback"

    /// The authorize URL; values are percent-encoded here, as a browser would send them.
    static func authorizeURI(app: String = TestApps.main.appID, redirect: String? = OAuthTests.redirect, state: String? = "xyz",
                             scope: String? = nil, loginAs: String? = nil, extra: [(String, String)] = [],
                             path: String = OAuthTests.authorizePath, appParameter: String = "client_id") -> String
    {
        var pairs: [(String, String)] = [(appParameter, app), ("response_type", "code")]
        if let redirect { pairs.append(("redirect_uri", redirect)) }
        if let state { pairs.append(("state", state)) }
        if let scope { pairs.append(("scope", scope)) }
        if let loginAs { pairs.append(("login_as", loginAs)) }
        return path + "?" + FormURLEncoded.encode(pairs + extra)
    }

    /// The query items of a redirect's `Location`.
    static func locationQuery(_ reply: Reply) throws -> [String: String] {
        let location = try #require(reply.header("Location"))
        let components = try #require(URLComponents(string: location))
        return Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { _, last in last })
    }
}

// MARK: - helpers

extension TestClientProtocol {
    /// Logs `user` in through `login_as` and returns the code from the redirect.
    func authorizationCode(_ user: String, app: EmulatorConfiguration.App = TestApps.main, scope: String? = nil,
                           redirect: String = OAuthTests.redirect, extra: [(String, String)] = []) async throws -> String
    {
        let reply = try await self.send(.get, OAuthTests.authorizeURI(app: app.appID, redirect: redirect, scope: scope,
                                                                      loginAs: user, extra: extra))
        #expect(reply.status == .found, "\(reply.text)")
        return try #require(try OAuthTests.locationQuery(reply)["code"])
    }

    func exchange(_ code: String, app: EmulatorConfiguration.App = TestApps.main, secret: String? = nil,
                  redirect: String? = OAuthTests.redirect, extra: [String: JSON] = [:]) async throws -> Reply
    {
        var body: [String: JSON] = ["grant_type": "authorization_code", "client_id": .string(app.appID),
                                    "client_secret": .string(secret ?? app.appSecret), "code": .string(code)]
        if let redirect { body["redirect_uri"] = .string(redirect) }
        body.merge(extra) { _, new in new }
        return try await self.send(.post, OAuthTests.tokenPath, json: .object(body))
    }

    func refresh(_ token: String, app: EmulatorConfiguration.App = TestApps.main) async throws -> Reply {
        try await self.send(.post, OAuthTests.tokenPath, json: [
            "grant_type": "refresh_token", "client_id": .string(app.appID), "client_secret": .string(app.appSecret),
            "refresh_token": .string(token),
        ])
    }

    /// A user access token for `user` (code flow end to end).
    func userToken(_ user: String, app: EmulatorConfiguration.App = TestApps.main, scope: String? = nil) async throws -> String {
        let reply = try await self.exchange(try await self.authorizationCode(user, app: app, scope: scope), app: app)
        #expect(reply.code == 0, "\(reply.text)")
        return try #require(reply.json?["access_token"]?.stringValue)
    }

    func userInfo(_ token: String) async throws -> Reply {
        try await self.send(.get, OAuthTests.userInfoPath, authorization: "Bearer " + token)
    }
}

/// Runs `body` with the emulator's state and a router client (for the public Swift helpers).
func withStateAndClient<T: Sendable>(_ body: @escaping @Sendable (EmulatorState, any TestClientProtocol) async throws -> T)
    async throws -> T
{
    let emulator = Emulator(configuration: try TestOrg.configuration())
    return try await emulator.application(logger: quietLogger).test(.router) { client async throws in
        try await body(emulator.state, client)
    }
}
