import FeishuEmulator
import Foundation
import HTTPTypes
import Testing
@testable import YunqiaoTesting
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
@testable import YunqiaoServices

/// The app's card callback credentials (API, console) and `POST /feishu/apps/{id}/card-callback`: the URL challenge,
/// refusals (401, nothing recorded), and clicks that are answered with an error toast.
@Suite(.timeLimit(.minutes(2)))
struct CardCallbackTests {
    // MARK: the app's callback credentials

    @Test func callbackCredentialsAreSealedMaskedAndKeptOnEdit() async throws {
        try await APIEnvironment.with { env in
            let token = "VerificationToken-Xk2Q", key = "EncryptKey-Value-9fD1"
            let enterprise = try await env.api.post("enterprises", #"{"name":"卡片企业"}"#).decode(EnterpriseView.self)
            let created = try await env.api.post(
                "enterprises/\(enterprise.id)/apps",
                #"{"appID":"cli_card","appSecret":"s3cret-0001","verificationToken":"\#(token)","encryptKey":"\#(key)"}"#)
            #expect(created.status == .created, "\(created)")
            let app = try created.decode(AppView.self)
            #expect(app.verificationToken == "••••••••Xk2Q" && app.encryptKey == "••••••••9fD1")
            #expect(app.cardCallbackURL == nil, "no external domain yet")
            #expect(app.warnings.map(\.code).sorted() == ["externalDomainUnset", "homepageUnset"], "no new warnings")

            #expect(try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com/"}"#).status == .ok)
            let shown = try await env.api.get("apps/\(app.id)").decode(AppView.self)
            #expect(shown.cardCallbackURL == "https://bridge.example.com/feishu/apps/\(app.id)/card-callback")

            // Edited without them: kept. With a new token only: the key stays.
            let kept = try await env.api.put("apps/\(app.id)", #"{"name":"卡片","appID":"cli_card","verificationToken":"","encryptKey":""}"#)
            #expect(try kept.decode(AppView.self).verificationToken == "••••••••Xk2Q")
            let rotated = try await env.api.put("apps/\(app.id)", #"{"name":"卡片","appID":"cli_card","verificationToken":"New-Token-abcd"}"#)
            #expect(try rotated.decode(AppView.self).verificationToken == "••••••••abcd")
            #expect(try rotated.decode(AppView.self).encryptKey == "••••••••9fD1")
            let stored = try #require(try await env.database.integration.apps(enterpriseId: enterprise.id).first)
            let credentials = try env.database.integration.callbackCredentials(of: stored)
            #expect(credentials.verificationToken == "New-Token-abcd" && credentials.encryptKey == key)
            #expect(stored.sealedEncryptKey?.contains(key) == false)

            let bad = try await env.api.put("apps/\(app.id)", #"{"appID":"cli_card","encryptKey":"has space"}"#)
            #expect(bad.status == .badRequest && bad.error?.field == "encryptKey")

            let audit = try await env.api.get("audit?action=app")
            let entries = try audit.items(AuditEntry.self)
            #expect(entries.first?.before?["verificationToken"] == "••••••••Xk2Q")
            #expect(entries.first?.after?["verificationToken"] == "••••••••abcd")
            #expect(entries.last?.after?["encryptKey"] == "••••••••9fD1")
            for secret in [token, key, "New-Token-abcd"] {
                for answer in [created, kept, rotated, audit] { #expect(!answer.text.contains(secret)) }
                #expect(!env.logs.text.contains(secret))
            }
        }
    }

    @Test func theAppPageShowsTheCardCallbackURL() async throws {
        try await APIEnvironment.with { env in
            let session = try await env.session()
            #expect(try await env.api.put("settings", #"{"externalDomain":"https://bridge.example.com"}"#).status == .ok)
            let enterprise = try await env.api.post("enterprises", #"{"name":"卡片企业"}"#).decode(EnterpriseView.self)
            let app = try await env.api.post("enterprises/\(enterprise.id)/apps", #"{"appID":"cli_card","appSecret":"s3cret-0001"}"#)
                .decode(AppView.self)
            let html: HTTPFields = [.accept: "text/html"]
            let page = try await session.call(.get, "/console/apps/\(app.id)", headers: html)
            #expect(page.status == .ok)
            #expect(page.text.contains("消息卡片请求网址"))
            #expect(page.text.contains("https://bridge.example.com/feishu/apps/\(app.id)/card-callback"))
            #expect(page.text.contains(#"id="card-callback-token-unset""#) && page.text.contains(#"id="card-callback-key-unset""#))
            #expect(page.text.contains("Encrypt Key"))

            let form = try await session.call(.get, "/console/apps/\(app.id)/edit", headers: html)
            #expect(form.text.contains(#"name="verificationToken""#) && form.text.contains(#"name="encryptKey""#))
            let saved = try await session.call(.post, "/console/apps/\(app.id)/edit",
                                               body: formBody([("name", "卡片"), ("appID", "cli_card"), ("verificationToken", "Console-Token-7777"),
                                                               ("encryptKey", "Console-Key-8888")]),
                                               headers: [.contentType: "application/x-www-form-urlencoded", .accept: "text/html"])
            #expect(saved.status == .seeOther, "\(saved)")
            let after = try await session.call(.get, "/console/apps/\(app.id)", headers: html)
            #expect(after.text.contains("••••••••7777") && after.text.contains("••••••••8888"))
            #expect(!after.text.contains("Console-Token-7777") && !after.text.contains(#"id="card-callback-key-unset""#))
            let edit = try await session.call(.get, "/console/apps/\(app.id)/edit", headers: html)
            #expect(edit.text.contains(#"id="token-keep-note""#) && !edit.text.contains("Console-Key-8888"))
        }
    }

    // MARK: the route

    @Test func theURLChallengeIsAnswered() async throws {
        try await QuickApprovalEnvironment.with { env in
            let challenge = JSON.object(["challenge": "ajls384kdjx98XX", "token": .string(QuickApprovalEnvironment.verificationToken),
                                         "type": "url_verification"])
            let plain = try await env.post(Data(challenge.serialized.utf8))
            #expect(plain.status == 200 && JSON.parse(plain.text) == ["challenge": "ajls384kdjx98XX"], "\(plain)")
            let encrypted = try Self.encrypted(challenge)
            let answer = try await env.post(encrypted)
            #expect(answer.status == 200 && JSON.parse(answer.text) == ["challenge": "ajls384kdjx98XX"], "\(answer)")
            let wrong = JSON.object(["challenge": "x", "token": "not-the-token", "type": "url_verification"])
            #expect(try await env.post(Data(wrong.serialized.utf8)).status == 401)
        }
    }

    @Test func forgedCallbacksAreRefusedAndRecordNothing() async throws {
        try await QuickApprovalEnvironment.with { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            let card = try await env.card(messageID)
            let approve = try #require(buttonValue(card, "approve"))

            // A forged signature through the emulator: Feishu's client would show an error; the bridge answers 401.
            let forged = try await env.click(messageID, extra: ["signature": .string(String(repeating: "0", count: 64))])
            #expect(forged["response"]?["status"] == 401, "\(forged)")
            #expect(forged["card_updated"] == false)
            // A timestamp an hour old (signed correctly).
            let stale = try await env.click(messageID, extra: ["timestamp": .string(String(Int(Date().timeIntervalSince1970) - 3600))])
            #expect(stale["response"]?["status"] == 401, "\(stale)")

            // Signed with the Encrypt Key but with a wrong Verification Token.
            let envelope = try Self.envelope(env, messageID: messageID, unionID: try #require(env.unionIDs["root1"]), value: approve,
                                             token: "wrong-token")
            let (body, headers) = try Self.signed(envelope)
            #expect(try await env.post(body, headers: headers).status == 401)
            // A signature that does not match the body.
            var tampered = headers
            tampered["X-Lark-Signature"] = CallbackCrypto.signature(timestamp: headers["X-Lark-Request-Timestamp"] ?? "", nonce: "other",
                                                                    encryptKey: QuickApprovalEnvironment.encryptKey, body: body)
            let good = try Self.envelope(env, messageID: messageID, unionID: try #require(env.unionIDs["root1"]), value: approve)
            let (goodBody, _) = try Self.signed(good)
            #expect(try await env.post(goodBody, headers: tampered).status == 401)
            // No signature at all, although the app has an Encrypt Key.
            #expect(try await env.post(goodBody).status == 401)
            // An app that does not exist, and one without a Verification Token.
            let (_, goodHeaders) = try Self.signed(good, body: goodBody)
            #expect(try await env.post(goodBody, headers: goodHeaders, app: 9999).status == 401)
            let bare = try await env.database.integration.addApp(enterpriseId: env.enterpriseId, name: "无令牌", appID: "cli_notoken", appSecret: "x")
            #expect(try await env.post(goodBody, headers: goodHeaders, app: bare.id ?? 0).status == 401)

            #expect(try await env.actions().isEmpty)
            #expect(await env.oa.calls.isEmpty)
            #expect(template(try await env.card(messageID)) == "blue")
            let logs = env.logs.text
            #expect(logs.contains("warning card callback refused"))
            #expect(logs.contains("signature verification failed") && logs.contains("invalid verification token"))
            #expect(logs.contains("no such app") && logs.contains("has no Verification Token"))
            for secret in [QuickApprovalEnvironment.verificationToken, QuickApprovalEnvironment.encryptKey, QuickApprovalEnvironment.actionSecret] {
                #expect(!logs.contains(secret))
            }

            // The genuine request goes through.
            let accepted = try await env.post(goodBody, headers: goodHeaders)
            #expect(accepted.status == 200 && JSON.parse(accepted.text)?["toast"]?["content"] == "处理中", "\(accepted)")
        }
    }

    @Test func onlyTheRecipientMayAct() async throws {
        try await QuickApprovalEnvironment.with { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            let approve = try #require(buttonValue(try await env.card(messageID), "approve"))
            // 李四 (root2) presses 张三's button: a genuine callback, but not the card's recipient.
            let envelope = try Self.envelope(env, messageID: messageID, unionID: try #require(env.unionIDs["root2"]), value: approve)
            let (body, headers) = try Self.signed(envelope)
            let answer = try await env.post(body, headers: headers)
            #expect(answer.status == 200)
            let json = try #require(JSON.parse(answer.text))
            #expect(json["toast"]?["type"] == "error" && json["toast"]?["content"] == "只有待办的接收人可以处理", "\(answer)")
            #expect(json["card"] == nil)
            #expect(try await env.actions().isEmpty)
            #expect(await env.oa.calls.isEmpty)
        }
    }

    @Test func aButtonThatIsNotQuickApprovalGetsAnErrorToast() async throws {
        try await QuickApprovalEnvironment.with { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            let unionID = try #require(env.unionIDs["root1"])
            for value: JSON in [["op": "approve", "id": "42"], ["a": "approve", "d": "999", "t": "wf-42"], ["a": "delete", "d": "1", "t": "wf-42"]] {
                let (body, headers) = try Self.signed(try Self.envelope(env, messageID: messageID, unionID: unionID, value: value))
                let answer = try await env.post(body, headers: headers)
                #expect(answer.status == 200)
                #expect(JSON.parse(answer.text)?["toast"]?["type"] == "error", "\(value): \(answer)")
            }
            // The right button on another message (a card of ours copied elsewhere): refused too.
            let approve = try #require(buttonValue(try await env.card(messageID), "approve"))
            let (body, headers) = try Self.signed(try Self.envelope(env, messageID: "om_elsewhere", unionID: unionID, value: approve))
            #expect(JSON.parse(try await env.post(body, headers: headers).text)?["toast"]?["type"] == "error")
            #expect(try await env.actions().isEmpty)
        }
    }

    @Test func aReplayedCallbackActsOnce() async throws {
        try await QuickApprovalEnvironment.with { env in
            let messageID = try #require(try await env.sendTodo()["2001"])
            let approve = try #require(buttonValue(try await env.card(messageID), "approve"))
            await env.oa.script([.status(409, #"{"message":"已处理"}"#)])
            let (body, headers) = try Self.signed(try Self.envelope(env, messageID: messageID, unionID: try #require(env.unionIDs["root1"]),
                                                                    value: approve))
            #expect(try await env.post(body, headers: headers).status == 200)
            try await eventually("the action failed") { try await env.actions().first?.actionState == .failed }
            // The same request again (within the signature's time window): nothing new, although the action failed.
            let replay = try await env.post(body, headers: headers)
            #expect(replay.status == 200)
            #expect(JSON.parse(replay.text)?["toast"]?["content"] != "处理中", "\(replay)")
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await env.actions().count == 1)
            #expect(await env.oa.calls.count == 1)
        }
    }

    @Test func otherEventsAreAcknowledged() async throws {
        try await QuickApprovalEnvironment.with { env in
            let event: JSON = ["schema": "2.0",
                               "header": ["event_id": "e1", "event_type": "im.message.receive_v1", "create_time": "1",
                                          "token": .string(QuickApprovalEnvironment.verificationToken),
                                          "app_id": .string(QuickApprovalEnvironment.appID),
                                          "tenant_key": "t"],
                               "event": [:]]
            let (body, headers) = try Self.signed(event)
            let answer = try await env.post(body, headers: headers)
            #expect(answer.status == 200 && answer.text == "{}")
            // The signature is checked on the raw bytes first: another body under these headers is unauthenticated (401);
            // a signed body that is not JSON is malformed (400).
            #expect(try await env.post(Data("not json".utf8), headers: headers).status == 401)
            let (notJSON, signedHeaders) = try Self.signed(event, body: Data("not json".utf8))
            #expect(try await env.post(notJSON, headers: signedHeaders).status == 400)
        }
    }

    // MARK: building callbacks by hand (`feishu-api.md` §6.3, §6.4, §6.8)

    /// A `card.action.trigger` envelope for a press by the user with `unionID`.
    static func envelope(_ env: QuickApprovalEnvironment, messageID: String, unionID: String, value: JSON,
                         token: String = QuickApprovalEnvironment.verificationToken) throws -> JSON
    {
        [
            "schema": "2.0",
            "header": ["event_id": .string(UUID().uuidString), "event_type": "card.action.trigger",
                       "create_time": .string(String(Int64(Date().timeIntervalSince1970 * 1000))), "token": .string(token),
                       "app_id": .string(QuickApprovalEnvironment.appID), "tenant_key": "736588c9260f175d"],
            "event": ["operator": ["open_id": "ou_someone", "union_id": .string(unionID)], "token": "c-token",
                      "action": ["value": value, "tag": "button"], "host": "im_message",
                      "context": ["open_message_id": .string(messageID), "open_chat_id": "oc_x"]],
        ]
    }

    /// `{"encrypt": …}` of `payload` with the Encrypt Key.
    static func encrypted(_ payload: JSON) throws -> Data {
        let sealed = try CallbackCrypto.encrypt(Data(payload.serialized.utf8), encryptKey: QuickApprovalEnvironment.encryptKey)
        return Data(JSON.object(["encrypt": .string(sealed)]).serialized.utf8)
    }

    /// The encrypted body and the `X-Lark-*` signature headers (SHA-256 with the Encrypt Key).
    static func signed(_ payload: JSON, body: Data? = nil) throws -> (Data, [String: String]) {
        let body = try body ?? encrypted(payload)
        let timestamp = String(Int(Date().timeIntervalSince1970)), nonce = UUID().uuidString
        return (body, ["X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": nonce,
                       "X-Lark-Signature": CallbackCrypto.signature(timestamp: timestamp, nonce: nonce,
                                                                    encryptKey: QuickApprovalEnvironment.encryptKey, body: body)])
    }
}
