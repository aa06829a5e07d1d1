import FeishuEmulator
import HTTPTypes
import HummingbirdTesting
import Testing

/// `Authorization: Bearer` handling (`feishu-api.md` §1.4), the `{code,msg,data}` / `{code,msg,error}` envelope (§1.2)
/// and the text/plain 404 (§1.3).
@Suite struct AuthTests {
    static let scopes = "/open-apis/contact/v3/scopes"

    @Test(arguments: [nil, "", "Bearer", "Bearer ", "t-0123456789abcdef", "Token t-0123456789abcdef", "Basic dXNlcjpwYXNz"])
    func missingTokenOrPrefixIs99991661(authorization: String?) async throws {
        try await withClient { client async throws in
            let reply = try await client.send(.get, Self.scopes, authorization: authorization)
            #expect(reply.status == .badRequest)
            #expect(reply.contentType.hasPrefix("application/json"))
            #expect(reply.code == 99991661)
        }
    }

    @Test func bareValidTokenWithoutBearerIsStillMissing() async throws {
        try await withClient { client async throws in
            let token = try await client.tenantToken(TestApps.main)
            let reply = try await client.send(.get, Self.scopes, authorization: token)
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99991661)
        }
    }

    @Test(arguments: ["t-0123456789abcdef0123456789abcdef", "a-0123456789abcdef", "garbage"])
    func unknownTenantTokenIs99991663(token: String) async throws {
        try await withClient { client async throws in
            let reply = try await client.send(.get, Self.scopes, authorization: "Bearer " + token)
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99991663)
        }
    }

    @Test(arguments: ["u-0123456789abcdef", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"])
    func userTokensAre99991668(token: String) async throws {
        try await withClient { client async throws in
            let reply = try await client.send(.get, Self.scopes, authorization: "Bearer " + token)
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99991668)
        }
    }

    @Test func expiredTokenIs99991663() async throws {
        try await withClient { client async throws in
            let token = try await client.tenantToken(TestApps.main)
            #expect(try await client.send(.get, Self.scopes, authorization: "Bearer " + token).code == 0)

            let expire = try await client.admin(.post, "tokens/expire")
            #expect(expire.status == .ok)
            let reply = try await client.send(.get, Self.scopes, authorization: "Bearer " + token)
            #expect(reply.status == .badRequest)
            #expect(reply.code == 99991663)

            // Once expired, the token endpoint hands out a fresh one that works.
            let fresh = try await client.tenantToken(TestApps.main)
            #expect(fresh != token)
            #expect(try await client.send(.get, Self.scopes, authorization: "Bearer " + fresh).code == 0)
        }
    }

    @Test func tokenAgesOutOnTheEmulatorClock() async throws {
        try await withClient { client async throws in
            let token = try await client.tenantToken(TestApps.main)
            try await client.advanceClock(seconds: 7201)
            #expect(try await client.send(.get, Self.scopes, authorization: "Bearer " + token).code == 99991663)
        }
    }
}

@Suite struct EnvelopeTests {
    @Test func successIsCodeMsgData() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get("/open-apis/contact/v3/scopes")
            #expect(reply.status == .ok)
            #expect(reply.contentType.hasPrefix("application/json"))
            let json = try #require(reply.json?.objectValue)
            #expect(Set(json.keys) == ["code", "msg", "data"])
            #expect(json["code"] == 0)
            #expect(json["msg"]?.stringValue != nil)
            #expect(json["data"]?.objectValue != nil)
            #expect(reply.logID?.isEmpty == false)
        }
    }

    @Test func failureIsCodeMsgErrorWithTheLogID() async throws {
        try await withEmulator { api async throws in
            let reply = try await api.get("\(TestOrg.userAPI)/nobody?user_id_type=user_id")
            #expect(reply.status == .badRequest)
            let json = try #require(reply.json?.objectValue)
            #expect(Set(json.keys) == ["code", "msg", "error"])
            #expect(reply.code == 99992360)
            let logID = try #require(json["error"]?["log_id"]?.stringValue)
            #expect(!logID.isEmpty)
            #expect(logID == reply.logID)
            #expect(json["error"]?["troubleshooter"]?.stringValue?.hasPrefix("https://") == true)
        }
    }

    @Test func authFailureCarriesTheLogIDToo() async throws {
        try await withClient { client async throws in
            let reply = try await client.send(.get, "/open-apis/contact/v3/scopes")
            let logID = try #require(reply.json?["error"]?["log_id"]?.stringValue)
            #expect(logID == reply.logID)
        }
    }

    @Test func everyAnswerHasItsOwnLogID() async throws {
        try await withEmulator { api async throws in
            let first = try await api.get("/open-apis/contact/v3/scopes")
            let second = try await api.get("/open-apis/contact/v3/scopes")
            let notFound = try await api.get("/open-apis/nowhere")
            let ids = [first.logID, second.logID, notFound.logID].compactMap { $0 }
            #expect(ids.count == 3)
            #expect(Set(ids).count == 3)
        }
    }

    @Test(arguments: [
        (HTTPRequest.Method.get, "/open-apis/contact/v3/nope"),
        (.get, "/open-apis/contact/v4/users/find_by_department"),
        (.get, "/"),
        (.get, "/open-apis/contact/v3/scopes/"),
        (.get, "/open-apis/contact/v3/users/batch/"),
        (.post, "/open-apis/contact/v3/scopes"),
        (.put, "/open-apis/contact/v3/users"),
        (.delete, "/open-apis/contact/v3/departments"),
        (.get, "/open-apis/auth/v3/tenant_access_token/internal"),
        (.put, "/open-apis/auth/v3/app_access_token/internal"),
        (.get, "/_emulator/nothing-here"),
    ])
    func unknownPathOrWrongMethodIsPlainText404(method: HTTPRequest.Method, path: String) async throws {
        try await withEmulator { api async throws in
            // With a valid token, and without one: the 404 comes first.
            for reply in [try await api.send(method, path), try await api.client.send(method, path)] {
                #expect(reply.status == .notFound)
                #expect(reply.contentType.hasPrefix("text/plain"))
                #expect(reply.text == "404 page not found")
            }
        }
    }
}
