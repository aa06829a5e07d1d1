import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import FeishuEmulator

/// A stand-in for the bridge's callback endpoint: records what arrives, answers what the test says.
actor CallbackInbox {
    struct Received: Sendable {
        /// Header names as they were on the wire.
        var headers: [String: String]
        var body: Data
    }

    private(set) var received: [Received] = []
    private var status = 200
    private var answer = "{}"
    private var delay = Duration.zero

    func record(_ headers: [String: String], _ body: Data) -> (Int, String, Duration) {
        received.append(Received(headers: headers, body: body))
        return (status, answer, delay)
    }

    func answer(_ status: Int = 200, _ body: String, delay: Duration = .zero) {
        self.status = status
        self.answer = body
        self.delay = delay
    }
}

/// Runs `body` with a live HTTP server at the returned URL that feeds `CallbackInbox`.
func withCallbackReceiver<T: Sendable>(_ body: @escaping @Sendable (String, CallbackInbox) async throws -> T) async throws -> T {
    let inbox = CallbackInbox()
    let router = Router()
    router.post("/feishu/card") { request, _ -> Response in
        let bytes = try await request.body.collect(upTo: 1 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.rawName] = field.value }
        let (status, answer, delay) = await inbox.record(headers, Data(bytes.readableBytesView))
        if delay > .zero { try await Task.sleep(for: delay) }
        return Response(status: HTTPResponse.Status(code: status), headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: answer)))
    }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: quietLogger)
    return try await app.test(.live) { client async throws in
        try await body("http://127.0.0.1:\(try #require(client.port))/feishu/card", inbox)
    }
}

/// `POST /_emulator/click`: the card callback Feishu sends when a user presses a button (`feishu-api.md` §6.3, §6.4,
/// §6.8–6.10), and what the emulator does with the answer.
@Suite(.timeLimit(.minutes(1))) struct IMCallbackTests {
    static let encryptKey = "test-encrypt-key"

    @Test func aClickIsEncryptedSignedAndItsCardApplied() async throws {
        try await withEmulator { api async throws in
            try await withCallbackReceiver { url, inbox async throws in
                let set = try await api.admin(.put, "apps/\(TestApps.main.appID)/callback",
                                              ["url": .string(url), "encrypt_key": .string(Self.encryptKey), "verification_token": "vt-1"])
                #expect(set.status == .ok && set.json?["protocol"] == "card.action.trigger", "\(set.text)")
                let sent = try await api.sendCard("zhangsan", IM.card("待审批"), type: "user_id")
                let id = try #require(sent.messageID)
                let done = IM.card("已同意")
                await inbox.answer(200, JSON.object(["toast": ["type": "success", "content": "已同意"],
                                                     "card": ["type": "raw", "data": done]]).serialized)
                let click = try await api.admin(.post, "click", ["message_id": .string(id), "user": "zhangsan"])
                #expect(click.status == .ok, "\(click.text)")
                let result = try #require(click.json)
                #expect(result["ok"] == true && result["card_updated"] == true, "\(click.text)")
                #expect(result["toast"]?["content"] == "已同意")
                #expect(result["response"]?["status"] == 200)
                #expect(result["response"]?["elapsed_ms"]?.intValue.map { $0 >= 0 && $0 < 3000 } == true)
                #expect(result["message"]?["content_json"] == done)

                // What the app received: the v2 envelope, encrypted, signed with the Encrypt Key.
                let received = try #require(await inbox.received.first)
                let timestamp = try #require(received.headers["X-Lark-Request-Timestamp"])
                let nonce = try #require(received.headers["X-Lark-Request-Nonce"])
                let signature = try #require(received.headers["X-Lark-Signature"])
                #expect(received.headers["Content-Type"]?.hasPrefix("application/json") == true)
                #expect(signature == CallbackCrypto.signature(timestamp: timestamp, nonce: nonce, encryptKey: Self.encryptKey,
                                                              body: received.body))
                #expect(abs((Double(timestamp) ?? 0) - Date().timeIntervalSince1970) < 30, "wall-clock seconds")
                let outer = try #require(JSON.parse(received.body)?.objectValue)
                #expect(outer.keys.sorted() == ["encrypt"])
                let plain = try #require(JSON.parse(try CallbackCrypto.decrypt(outer["encrypt"]?.stringValue ?? "", encryptKey: Self.encryptKey)))
                #expect(plain["schema"] == "2.0")
                let header = try #require(plain["header"])
                #expect(header["event_type"] == "card.action.trigger" && header["token"] == "vt-1")
                #expect(header["app_id"] == .string(TestApps.main.appID) && header["tenant_key"] == "736588c9260f175d")
                #expect(header["event_id"]?.stringValue?.count == 32)
                #expect(header["create_time"]?.stringValue.flatMap(Int64.init).map { $0 > 1_600_000_000_000 } == true)
                let event = try #require(plain["event"])
                #expect(event["operator"] == ["open_id": .string(try await api.openID("zhangsan")),
                                              "union_id": .string(try await api.unionID("zhangsan")), "user_id": "zhangsan",
                                              "tenant_key": "736588c9260f175d"])
                #expect(event["token"]?.stringValue?.hasPrefix("c-") == true)
                #expect(event["action"] == ["value": ["op": "approve", "id": "42"], "tag": "button"])
                #expect(event["host"] == "im_message")
                #expect(event["context"] == ["open_message_id": .string(id), "open_chat_id": sent.data?["chat_id"] ?? .null])
                #expect(result["event_id"] == header["event_id"])

                // The card the answer carried replaced the message's card, for the record with who clicked.
                let held = try #require(try await api.heldMessages("user_id=zhangsan").first)
                #expect(held["content_json"] == done)
                #expect(held["updates"]?.arrayValue?.last?["source"] == "callback")
                #expect(held["updates"]?.arrayValue?.last?["user"]?["user_id"] == "zhangsan")
                let log = try await api.admin(.get, "callbacks?message_id=\(id)")
                #expect(log.json?["items"]?.arrayValue?.count == 1)
                #expect(log.json?["items"]?.arrayValue?.first?["request"]?["plaintext"] == plain)
            }
        }
    }

    @Test func withoutAnEncryptKeyTheCallbackIsPlainAndUnsigned() async throws {
        try await withEmulator { api async throws in
            try await withCallbackReceiver { url, inbox async throws in
                let set = try await api.admin(.patch, "apps/\(TestApps.main.appID)/callback", ["url": .string(url)])
                let token = try #require(set.json?["verification_token"]?.stringValue)
                #expect(set.json?["encrypt_key"] == .null && !token.isEmpty)
                let id = try #require(try await api.sendCard("lisi", IM.cardV2("v2"), type: "user_id").messageID)
                let click = try await api.admin(.post, "click", ["message_id": .string(id), "button": "驳回"])
                #expect(click.json?["ok"] == true, "\(click.text)")
                #expect(click.json?["card_updated"] == false, "{} keeps the card")
                let received = try #require(await inbox.received.first)
                #expect(received.headers["X-Lark-Signature"] == nil && received.headers["X-Lark-Request-Timestamp"] == nil)
                let plain = try #require(JSON.parse(received.body))
                #expect(plain["header"]?["token"] == .string(token))
                #expect(plain["event"]?["action"]?["value"] == ["op": "reject", "id": "7"])
                #expect(plain["event"]?["operator"]?["user_id"] == "lisi")
            }
        }
    }

    @Test func theOldProtocolIsSignedWithTheVerificationToken() async throws {
        try await withEmulator { api async throws in
            try await withCallbackReceiver { url, inbox async throws in
                _ = try await api.admin(.put, "apps/\(TestApps.main.appID)/callback",
                                        ["url": .string(url), "protocol": "card.action.trigger_v1", "verification_token": "vt-old"])
                let id = try #require(try await api.sendCard("zhaoliu", IM.card("旧"), type: "user_id").messageID)
                let replaced = IM.card("旧协议已处理")
                await inbox.answer(200, replaced.serialized)
                let click = try await api.admin(.post, "click", ["message_id": .string(id),
                                                                 "action": ["value": ["op": "x"], "tag": "button", "option": "a"]])
                #expect(click.json?["ok"] == true && click.json?["card_updated"] == true, "\(click.text)")
                let received = try #require(await inbox.received.first)
                let timestamp = try #require(received.headers["X-Lark-Request-Timestamp"])
                let nonce = try #require(received.headers["X-Lark-Request-Nonce"])
                #expect(received.headers["X-Lark-Signature"]
                    == CallbackCrypto.cardV1Signature(timestamp: timestamp, nonce: nonce, verificationToken: "vt-old", body: received.body))
                let plain = try #require(JSON.parse(received.body))
                #expect(plain["schema"] == nil && plain["open_message_id"] == .string(id))
                #expect(plain["open_id"] == .string(try await api.openID("zhaoliu")) && plain["user_id"] == "zhaoliu")
                #expect(plain["action"] == ["value": ["op": "x"], "tag": "button", "option": "a"])
                #expect(plain["token"]?.stringValue?.hasPrefix("c-") == true)
                #expect(try await api.heldMessages("user_id=zhaoliu").first?["content_json"] == replaced)
            }
        }
    }

    @Test func aFailingOrSlowAppChangesNothing() async throws {
        try await withEmulator { api async throws in
            try await withCallbackReceiver { url, inbox async throws in
                _ = try await api.admin(.put, "apps/\(TestApps.main.appID)/callback", ["url": .string(url)])
                let card = IM.card("待审批")
                let id = try #require(try await api.sendCard("zhangsan", card, type: "user_id").messageID)
                let newCard = JSON.object(["card": ["type": "raw", "data": IM.card("x")]]).serialized
                await inbox.answer(500, newCard)
                let failed = try await api.admin(.post, "click", ["message_id": .string(id)])
                #expect(failed.status == .ok && failed.json?["ok"] == false, "\(failed.text)")
                #expect(failed.json?["problem"] == "HTTP 500" && failed.json?["response"]?["status"] == 500)

                await inbox.answer(200, newCard, delay: .milliseconds(400))
                let slow = try await api.admin(.post, "click", ["message_id": .string(id), "timeout_ms": 100])
                #expect(slow.json?["ok"] == false && slow.json?["response"]?["error"] != nil, "\(slow.text)")

                await inbox.answer(200, "not json")
                #expect(try await api.admin(.post, "click", ["message_id": .string(id)]).json?["problem"] == "the answer is not JSON")

                await inbox.answer(200, JSON.object(["card": ["type": "raw", "data": ["elements": "nope"]]]).serialized)
                let refused = try await api.admin(.post, "click", ["message_id": .string(id)])
                #expect(refused.json?["ok"] == false && refused.json?["card_updated"] == false)

                #expect(try await api.heldMessages("user_id=zhangsan").first?["content_json"] == card)
                #expect(try await api.admin(.get, "callbacks").json?["items"]?.arrayValue?.count == 4)
                #expect(try await api.admin(.get, "callbacks?limit=1").json?["items"]?.arrayValue?.count == 1)
                #expect(try await api.admin(.delete, "callbacks").status == .ok)
                #expect(try await api.admin(.get, "callbacks").json?["items"]?.arrayValue?.isEmpty == true)
            }
        }
    }

    @Test func clicksThatCannotHappenAreRefused() async throws {
        try await withEmulator { api async throws in
            let card = try #require(try await api.sendCard("zhangsan", IM.card("x"), type: "user_id").messageID)
            #expect(try await api.admin(.post, "click", ["message_id": .string(card)]).adminErrorField == "message_id", "no URL yet")
            _ = try await api.admin(.put, "apps/\(TestApps.main.appID)/callback", ["url": "http://127.0.0.1:9/feishu/card"])
            let text = try #require(try await api.sendMessage("zhangsan", type: "user_id", msgType: "text", content: IM.text("x")).messageID)
            #expect(try await api.admin(.post, "click", ["message_id": .string(text)]).adminErrorField == "message_id")
            #expect(try await api.admin(.post, "click", ["message_id": "om_nothing"]).adminErrorField == "message_id")
            #expect(try await api.admin(.post, "click", ["message_id": .string(card), "user": "lisi"]).adminErrorField == "user")
            #expect(try await api.admin(.post, "click", ["message_id": .string(card), "user": "nobody"]).adminErrorField == "user")
            #expect(try await api.admin(.post, "click", ["message_id": .string(card), "button": "没有"]).adminErrorField == "button")
            let plain = JSON.object(["elements": [["tag": "div", "text": ["tag": "plain_text", "content": "no buttons"]]]])
            let noButton = try #require(try await api.sendCard("zhangsan", plain, type: "user_id").messageID)
            #expect(try await api.admin(.post, "click", ["message_id": .string(noButton)]).adminErrorField == "value")
            // Nobody listens on port 9: the click happens, the app did not answer.
            let unreachable = try await api.admin(.post, "click", ["message_id": .string(card), "timeout_ms": 500])
            #expect(unreachable.status == .ok && unreachable.json?["ok"] == false && unreachable.json?["response"]?["error"] != nil)
            // Settings are checked.
            #expect(try await api.admin(.put, "apps/\(TestApps.main.appID)/callback", ["url": "ftp://x"]).adminErrorField == "url")
            #expect(try await api.admin(.put, "apps/\(TestApps.main.appID)/callback", ["protocol": "v3"]).adminErrorField == "protocol")
            #expect(try await api.admin(.put, "apps/cli_nobody/callback", ["url": "http://x.example"]).adminErrorField == "app_id")
        }
    }

    @Test func groupCardsNeedTheClickingMember() async throws {
        try await withEmulator { api async throws in
            try await withCallbackReceiver { url, inbox async throws in
                _ = try await api.admin(.put, "apps/\(TestApps.main.appID)/callback", ["url": .string(url)])
                let chat = try await api.admin(.post, "chats", ["name": "群", "members": ["zhangsan", "lisi"]])
                let chatID = try #require(chat.json?["chat_id"]?.stringValue)
                let id = try #require(try await api.sendCard(chatID, IM.card("群卡片"), type: "chat_id").messageID)
                #expect(try await api.admin(.post, "click", ["message_id": .string(id)]).adminErrorField == "user")
                #expect(try await api.admin(.post, "click", ["message_id": .string(id), "user": "wangwu"]).adminErrorField == "user")
                let union = try await api.unionID("lisi")
                #expect(try await api.admin(.post, "click", ["message_id": .string(id), "user": .string(union)]).json?["ok"] == true)
                let received = try #require(await inbox.received.first)
                let plain = try #require(JSON.parse(received.body))
                #expect(plain["event"]?["operator"]?["union_id"] == .string(union))
                #expect(plain["event"]?["context"]?["open_chat_id"] == .string(chatID))
            }
        }
    }

    @Test func cryptoMatchesTheDocumentedVectors() throws {
        // feishu-api.md §6.3 and §6.4 (both checked with lark-oapi).
        #expect(String(decoding: try CallbackCrypto.decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", encryptKey: "test key"),
                       as: UTF8.self) == "hello world")
        #expect(CallbackCrypto.signature(timestamp: "1600000000", nonce: "abc", encryptKey: "kk", body: Data(#"{"encrypt":"x"}"#.utf8))
            == "e920a510ec3e9602cc2c5a2ffdf222c60e3380b70fc2cceed3faf8dc9613c189")
        #expect(CallbackCrypto.cardV1Signature(timestamp: "1600000000", nonce: "abc", verificationToken: "vt",
                                               body: Data(#"{"open_id":"ou_1"}"#.utf8)) == "e26150719afff8705c9340305eb907e53300d672")
        let plaintext = Data(#"{"challenge":"c1","token":"t","type":"url_verification"}"#.utf8)
        let fixed = try CallbackCrypto.encrypt(plaintext, encryptKey: "k", iv: Array(0..<16))
        #expect(try CallbackCrypto.decrypt(fixed, encryptKey: "k") == plaintext)
        #expect(Data(base64Encoded: fixed)?.prefix(16) == Data(Array(0..<16)))
        #expect(try CallbackCrypto.encrypt(plaintext, encryptKey: "k") != CallbackCrypto.encrypt(plaintext, encryptKey: "k"), "random IVs")
        #expect((try? CallbackCrypto.decrypt(fixed, encryptKey: "other key")) != plaintext)
        #expect(throws: (any Error).self) { try CallbackCrypto.decrypt("not base64!", encryptKey: "k") }
    }
}
