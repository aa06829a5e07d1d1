import FeishuEmulator
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Testing

@testable import FeishuKit

/// `FeishuCallbackVerifier` (`feishu-api.md` §6.2–6.5, §6.8, §6.9) against vectors from the doc, from lark-oapi, and
/// built with the emulator's own signer (`CallbackCrypto`), then end to end with `/_emulator/click`.
@Suite struct CallbackVerifierTests {
    static let key = "test-encrypt-key"
    static let token = "test-verification-token"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let verifier = FeishuCallbackVerifier(verificationToken: token, encryptKey: key)

    static func envelope(type: String = "card.action.trigger", token: String = token) -> JSON {
        [
            "schema": "2.0",
            "header": ["event_id": "5e3702a84e847582be8db7fb73283c02", "event_type": .string(type), "create_time": "1799999999000",
                       "token": .string(token), "app_id": "cli_test", "tenant_key": "tk1"],
            "event": [
                "operator": ["tenant_key": "tk1", "user_id": "u1", "open_id": "ou_1", "union_id": "on_1"],
                "token": "c-abc",
                "action": ["value": ["op": "approve", "id": 42, "urgent": true], "tag": "button", "option": nil,
                           "form_value": ["reason": "ok"], "options": ["a", "b"], "checked": false],
                "host": "im_message",
                "context": ["open_message_id": "om_1", "open_chat_id": "oc_1", "url": nil],
            ],
        ]
    }

    /// Encrypted with the emulator's signer and signed: the request Feishu sends.
    static func signed(_ plaintext: JSON, key: String = key, timestamp: String = "1800000000", nonce: String = "n1") throws
        -> (headers: [String: String], body: Data)
    {
        let body = Data(JSON.object(["encrypt": .string(try CallbackCrypto.encrypt(Data(plaintext.serialized.utf8), encryptKey: key))])
            .serialized.utf8)
        let signature = CallbackCrypto.signature(timestamp: timestamp, nonce: nonce, encryptKey: key, body: body)
        return (["X-Lark-Request-Timestamp": timestamp, "X-Lark-Request-Nonce": nonce, "X-Lark-Signature": signature], body)
    }

    /// The report of issue #13: 500 nested arrays in 1 KB cost seconds to parse before the signature was checked.
    @Test func theSignatureIsCheckedBeforeTheBodyIsParsedAndDeepBodiesAreNotParsed() throws {
        let deep = Data((String(repeating: "[", count: 500) + String(repeating: "]", count: 500)).utf8)
        let headers = ["X-Lark-Request-Timestamp": "1800000000", "X-Lark-Request-Nonce": "n1", "X-Lark-Signature": String(repeating: "0", count: 64)]
        let started = ContinuousClock.now
        #expect(throws: FeishuCallbackError.badSignature) { try Self.verifier.verify(headers: headers, body: deep, now: Self.now) }
        // Unsigned (as the URL challenge may be): measured before the parser sees it, refused as malformed.
        #expect(throws: FeishuCallbackError.malformedBody("the body is not a JSON object")) {
            try Self.verifier.verify(headers: [:], body: deep, now: Self.now)
        }
        let took = ContinuousClock.now - started
        print("two deep callback bodies refused in \(took)")
        #expect(took < .seconds(1))
        // A signed request that is otherwise fine but nests too deep is refused too, after its signature.
        var value: JSON = "x"
        for _ in 0..<40 { value = .array([value]) }
        guard case .object(var fields) = Self.envelope() else { Issue.record("the envelope is an object"); return }
        fields["extra"] = value
        let request = try Self.signed(.object(fields))
        #expect(throws: FeishuCallbackError.malformedBody("the decrypted payload is not a JSON object")) {
            try Self.verifier.verify(headers: request.headers, body: request.body, now: Self.now)
        }
        let fine = try Self.signed(Self.envelope())
        #expect(throws: Never.self) { try Self.verifier.verify(headers: fine.headers, body: fine.body, now: Self.now) }
    }

    @Test func documentedVectors() throws {
        #expect(String(decoding: try FeishuCallbackCrypto.decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", encryptKey: "test key"),
                       as: UTF8.self) == "hello world")
        #expect(FeishuCallbackCrypto.signature(timestamp: "1600000000", nonce: "abc", secret: "kk", body: Data(#"{"encrypt":"x"}"#.utf8))
            == "e920a510ec3e9602cc2c5a2ffdf222c60e3380b70fc2cceed3faf8dc9613c189")
        #expect(FeishuCallbackVerifier.constantTimeEqual("abc", "abc") && !FeishuCallbackVerifier.constantTimeEqual("abc", "abd"))
        #expect(!FeishuCallbackVerifier.constantTimeEqual("abc", "abcd"))
    }

    /// Built with lark-oapi 1.7.5's stack (pycryptodome AES-CBC with a fixed IV, the SDK's signature) and accepted by its
    /// `EventDispatcherHandler` (`pytests/conformance/test_im_callbacks.py` rebuilds it and checks that).
    @Test func aVectorFromLarkOapi() throws {
        let body = Data(#"{"encrypt": "EBESExQVFhcYGRobHB0eH3tKKY4a0hhGN48YmrAB7aG6y8NjUc4rXrTv7cyXkwnTLBVxH3Mc1siLjkYmE6VX1wGQW/OVcOWtTOjBaG8il3BDfcCZvAwbYJRq949gT8BdkaPuWUBLWX8oIAU2nEkLnJHFVu7PvFGmPLFemYbe6Pn+jfZBoEEPs5SO5C/3MBKxw/JA825WLq8JsPjIerrTSf62vdUKOLNbgdQtYU1XbJXM/R551cSPpGPkfQM4tQ2dN1DpsHneAy5n4SwxePEScFd4Yy08GLT9U9unh3GJ1SgwGbT33joKNCDz7YmpMylDFVFo3fnj2fAlRa4DMb35uAg8X2wXt0fkOz+asRUa6g3pqaxLQF+yuah3mRwFWhApFzL4eD10J9pUEL4OtQvGW4arYXjKJ4feeX6kNHSxfSY1ubavSLHCzGe8UZPYBdytWAQdDeYfvqHGdcLKiFFCtvsgWpxYm5Vj4KbvUdCMnv0ehQyRZDP37blCG2mVDzLgyb5/eb2jlULVNSp56S5fdX0iRlUbz5BaAQBRD8F1t9mZjzSlQvBWMy1yEZyMjAJz9DWNOsNdU/T1FUtTapT1md4IF42stDzRF2I5pARrZs/qtu6qmn9qdFQCsdjaSahM9Bn5nGyFYkU4HhKjl5K1kklBvV3XghNVVf8oFidTcyyvj8N0jj0e0/3XX07pQeWE"}"#.utf8)
        let headers = ["X-Lark-Request-Timestamp": "1700000000", "X-Lark-Request-Nonce": "vector-nonce",
                       "X-Lark-Signature": "a50c52607efae0a0cfd2113d5c5e41e1478b1c1b39301f1239caa6dfdf518e21"]
        let verifier = FeishuCallbackVerifier(verificationToken: "lark-vector-verification-token", encryptKey: "lark-vector-encrypt-key")
        let answer = try verifier.verify(headers: headers, body: body, now: Date(timeIntervalSince1970: 1_700_000_030))
        guard case .cardAction(let action) = answer else {
            Issue.record("expected a card action, got \(answer)")
            return
        }
        #expect(action.callbackProtocol == .v2 && action.eventID == "f7984f25108f8137722bb63cee927e66")
        #expect(action.openID == "ou_vector" && action.unionID == "on_vector" && action.userID == "u_vector")
        #expect(action.messageID == "om_vector" && action.chatID == "oc_vector" && action.token == "c-vector")
        #expect(action.value == ["op": "approve", "id": "42"] && action.tag == "button")
        #expect(action.appID == "cli_vector" && action.tenantKey == "tk_vector" && action.createTime == 1_700_000_000_000)
        // The same request with the lark-oapi default window passed long ago.
        #expect(throws: FeishuCallbackError.badTimestamp("1700000000")) { try verifier.verify(headers: headers, body: body) }
    }

    @Test func aSignedEncryptedCardActionDecodes() throws {
        let request = try Self.signed(Self.envelope())
        let answer = try Self.verifier.verify(headers: request.headers, body: request.body, now: Self.now)
        guard case .cardAction(let action) = answer else {
            Issue.record("expected a card action, got \(answer)")
            return
        }
        #expect(action.openID == "ou_1" && action.unionID == "on_1" && action.userID == "u1")
        #expect(action.messageID == "om_1" && action.chatID == "oc_1" && action.token == "c-abc" && action.host == "im_message")
        #expect(action.value == ["op": "approve", "id": "42", "urgent": "true"])
        struct Value: Decodable, Equatable {
            var op: String
            var id: Int
        }
        #expect(try action.decodeValue(Value.self) == Value(op: "approve", id: 42))
        #expect(action.options == ["a", "b"] && action.checked == false && action.option == nil)
        #expect(action.formValueJSON == Data(#"{"reason":"ok"}"#.utf8))
        // Header names in any case (HTTP/2 lower-cases them).
        let lower = Dictionary(uniqueKeysWithValues: request.headers.map { ($0.key.lowercased(), $0.value) })
        #expect(try Self.verifier.verify(headers: lower, body: request.body, now: Self.now) == answer)
    }

    @Test func forgeriesAreRefused() throws {
        let request = try Self.signed(Self.envelope())
        func refusal(_ headers: [String: String], _ body: Data, _ verifier: FeishuCallbackVerifier = Self.verifier,
                     now: Date = Self.now) -> FeishuCallbackError?
        {
            do {
                _ = try verifier.verify(headers: headers, body: body, now: now)
                return nil
            } catch {
                return error
            }
        }
        var tampered = request.body
        tampered[tampered.index(tampered.startIndex, offsetBy: 20)] ^= 1
        #expect(refusal(request.headers, tampered) == .badSignature)
        var badSignature = request.headers
        badSignature["X-Lark-Signature"] = String(repeating: "0", count: 64)
        #expect(refusal(badSignature, request.body) == .badSignature)
        #expect(refusal([:], request.body) == .missingSignature)
        let otherKey = try Self.signed(Self.envelope(), key: "another key")
        #expect(refusal(otherKey.headers, otherKey.body) == .badSignature)
        #expect(refusal(request.headers, request.body, now: Self.now.addingTimeInterval(301)) == .badTimestamp("1800000000"))
        #expect(refusal(request.headers, request.body, FeishuCallbackVerifier(verificationToken: Self.token, encryptKey: Self.key,
                                                                               maxClockSkew: nil), now: .distantFuture) == nil)
        let wrongToken = try Self.signed(Self.envelope(token: "someone else's"))
        #expect(refusal(wrongToken.headers, wrongToken.body) == .badToken)
        #expect(refusal(request.headers, request.body, FeishuCallbackVerifier(verificationToken: Self.token)) == .encryptKeyMissing)
        #expect(refusal([:], Data("not json".utf8)) == .malformedBody("the body is not a JSON object"))
        let garbage = Data(#"{"encrypt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}"#.utf8)
        let signedGarbage = ["X-Lark-Request-Timestamp": "1800000000", "X-Lark-Request-Nonce": "n",
                             "X-Lark-Signature": FeishuCallbackCrypto.signature(timestamp: "1800000000", nonce: "n", secret: Self.key,
                                                                                body: garbage)]
        #expect([.decryptionFailed, .malformedBody("the decrypted payload is not a JSON object")].contains(refusal(signedGarbage, garbage)))
    }

    @Test func theURLChallengeNeedsOnlyTheToken() throws {
        let challenge: JSON = ["challenge": "ajls384kdjx98XX", "token": .string(Self.token), "type": "url_verification"]
        // Encrypted, without signature headers (Feishu checks the URL before anything else).
        let encrypted = Data(JSON.object(["encrypt": .string(try CallbackCrypto.encrypt(Data(challenge.serialized.utf8), encryptKey: Self.key))])
            .serialized.utf8)
        #expect(try Self.verifier.verify(headers: [:], body: encrypted) == .urlVerification(challenge: "ajls384kdjx98XX"))
        let plain = FeishuCallbackVerifier(verificationToken: Self.token)
        #expect(try plain.verify(headers: [:], body: Data(challenge.serialized.utf8)) == .urlVerification(challenge: "ajls384kdjx98XX"))
        let forged: JSON = ["challenge": "x", "token": "guess", "type": "url_verification"]
        #expect(throws: FeishuCallbackError.badToken) { try plain.verify(headers: [:], body: Data(forged.serialized.utf8)) }
        #expect(JSON.parse(FeishuCallback.challengeAnswer("a\"b")) == ["challenge": "a\"b"])
    }

    @Test func withoutAnEncryptKeyTheTokenAuthenticates() throws {
        let plain = FeishuCallbackVerifier(verificationToken: Self.token)
        let body = Data(Self.envelope().serialized.utf8)
        guard case .cardAction(let action) = try plain.verify(headers: [:], body: body) else {
            Issue.record("expected a card action")
            return
        }
        #expect(action.messageID == "om_1")
        #expect(throws: FeishuCallbackError.badToken) {
            try plain.verify(headers: [:], body: Data(Self.envelope(token: "x").serialized.utf8))
        }
        // Other events come back with their type and id for dedupe.
        let event = try plain.verify(headers: [:], body: Data(Self.envelope(type: "contact.user.created_v3").serialized.utf8))
        guard case .event(let other) = event else {
            Issue.record("expected an event")
            return
        }
        #expect(other.type == "contact.user.created_v3" && other.eventID == "5e3702a84e847582be8db7fb73283c02" && other.schema == "2.0")
        #expect(other.createTime == 1_799_999_999_000 && JSON.parse(other.payload) == Self.envelope(type: "contact.user.created_v3"))
        let v1: JSON = ["ts": "1502199207.7171419", "uuid": "bc447199585340d1f3728d26b1c0297a", "token": .string(Self.token),
                        "type": "event_callback", "event": ["type": "approval_instance", "app_id": "cli_test", "tenant_key": "tk1"]]
        guard case .event(let legacy) = try plain.verify(headers: [:], body: Data(v1.serialized.utf8)) else {
            Issue.record("expected a v1 event")
            return
        }
        #expect(legacy.schema == "1.0" && legacy.type == "approval_instance" && legacy.eventID == "bc447199585340d1f3728d26b1c0297a")
    }

    @Test func theOldCardProtocolIsSignedWithTheToken() throws {
        let flat: JSON = ["open_id": "ou_1", "user_id": "u1", "open_message_id": "om_1", "open_chat_id": "oc_1", "tenant_key": "tk1",
                          "token": "c-delayed", "action": ["value": ["op": "reject"], "tag": "button"]]
        let body = Data(flat.serialized.utf8)
        let headers = ["X-Lark-Request-Timestamp": "1800000000", "X-Lark-Request-Nonce": "n",
                       "X-Lark-Signature": CallbackCrypto.cardV1Signature(timestamp: "1800000000", nonce: "n", verificationToken: Self.token,
                                                                          body: body)]
        let plain = FeishuCallbackVerifier(verificationToken: Self.token)
        guard case .cardAction(let action) = try plain.verify(headers: headers, body: body, now: Self.now) else {
            Issue.record("expected a card action")
            return
        }
        #expect(action.callbackProtocol == .v1 && action.openID == "ou_1" && action.userID == "u1" && action.unionID == nil)
        #expect(action.token == "c-delayed" && action.value == ["op": "reject"] && action.messageID == "om_1")
        #expect(throws: FeishuCallbackError.missingSignature) { try plain.verify(headers: [:], body: body, now: Self.now) }
        var forged = headers
        forged["X-Lark-Signature"] = CallbackCrypto.cardV1Signature(timestamp: "1800000000", nonce: "n", verificationToken: "guess", body: body)
        #expect(throws: FeishuCallbackError.badSignature) { try plain.verify(headers: forged, body: body, now: Self.now) }
        // Encrypted too, with an Encrypt Key: still SHA-1 with the token, over the encrypted body.
        let encrypted = Data(JSON.object(["encrypt": .string(try CallbackCrypto.encrypt(body, encryptKey: Self.key))]).serialized.utf8)
        let encryptedHeaders = ["X-Lark-Request-Timestamp": "1800000000", "X-Lark-Request-Nonce": "n",
                                "X-Lark-Signature": CallbackCrypto.cardV1Signature(timestamp: "1800000000", nonce: "n",
                                                                                   verificationToken: Self.token, body: encrypted)]
        #expect(try Self.verifier.verify(headers: encryptedHeaders, body: encrypted, now: Self.now) == .cardAction(action))
        // An event must not pass with the card protocol's signature.
        let event = Data(JSON.object(["encrypt": .string(try CallbackCrypto.encrypt(Data(Self.envelope().serialized.utf8),
                                                                                     encryptKey: Self.key))]).serialized.utf8)
        let wrongScheme = ["X-Lark-Request-Timestamp": "1800000000", "X-Lark-Request-Nonce": "n",
                           "X-Lark-Signature": CallbackCrypto.cardV1Signature(timestamp: "1800000000", nonce: "n",
                                                                              verificationToken: Self.token, body: event)]
        #expect(throws: FeishuCallbackError.badSignature) { try Self.verifier.verify(headers: wrongScheme, body: event, now: Self.now) }
    }

    @Test func answersAreEncoded() throws {
        let answer = FeishuCardCallbackAnswer(toast: .init(type: .success, content: "已同意", i18n: ["en_us": "Approved"]),
                                              card: Data(#"{"elements":[]}"#.utf8))
        #expect(JSON.parse(try answer.body()) == ["toast": ["type": "success", "content": "已同意", "i18n": ["en_us": "Approved"]],
                                                  "card": ["type": "raw", "data": ["elements": []]]])
        #expect(try FeishuCardCallbackAnswer().body() == Data("{}".utf8))
        #expect(throws: FeishuCardCallbackAnswer.InvalidCard.self) { try FeishuCardCallbackAnswer(card: Data("[".utf8)).body() }
    }
}

/// The emulator clicks, a bridge-like endpoint verifies with FeishuKit and answers, the emulator applies the card.
@Suite(.timeLimit(.minutes(1))) struct CardCallbackEndToEndTests {
    @Test func aClickReachesTheVerifierAndItsAnswerUpdatesTheCard() async throws {
        let encryptKey = "bridge-encrypt-key"
        let verifier = FeishuCallbackVerifier(verificationToken: "bridge-verification-token", encryptKey: encryptKey)
        let seen = Seen()
        let router = Router()
        router.post("/feishu/card") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let callback: FeishuCallback
            do throws(FeishuCallbackError) {
                callback = try verifier.verify(headers: headers, body: Data(bytes.readableBytesView))
            } catch {
                await seen.refuse(error)
                return Response(status: .unauthorized)
            }
            guard case .cardAction(let action) = callback else { return Response(status: .badRequest) }
            await seen.add(action)
            let card = Data(sharedCard(action.value["op"] == "approve" ? "已同意" : "已驳回").utf8)
            let answer = try FeishuCardCallbackAnswer(toast: .init(type: .success, content: "处理中"), card: card).body()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer)))
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) },
                              logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await Emulator.withRunning(EmulatorConfiguration(rateLimit: false)) { emulator in
                let appID = EmulatorConfiguration.defaultApp.appID
                let set = await emulator.state.admin("PUT", "/_emulator/apps/\(appID)/callback", body: [
                    "url": .string("http://127.0.0.1:\(port)/feishu/card"), "encrypt_key": .string(encryptKey),
                    "verification_token": "bridge-verification-token"])
                #expect(set.status == 200)
                let feishu = imClient(emulator)
                let user = try await openIDs(emulator, count: 1)[0]
                let card = try await feishu.sendMessage(to: user, idType: .openID, type: .interactive, content: sharedCard("待审批"), uuid: "todo-1")

                let click = await emulator.state.admin("POST", "/_emulator/click", body: ["message_id": .string(card.messageID)])
                #expect(click.json?["ok"] == true && click.json?["card_updated"] == true, "\(click.json?.serialized ?? "")")
                #expect(click.json?["toast"]?["content"] == "处理中")
                #expect(JSON.parse(try await feishu.message(card.messageID).content ?? "") == JSON.parse(sharedCard("已同意")))
                let actions = await seen.actions
                #expect(actions.count == 1 && actions.first?.openID == user && actions.first?.messageID == card.messageID)

                // A forged click (bad signature) is refused by the verifier; the card stays.
                let forged = await emulator.state.admin("POST", "/_emulator/click", body: ["message_id": .string(card.messageID),
                                                                                            "value": ["op": "reject"], "signature": "00"])
                #expect(forged.json?["ok"] == false && forged.json?["response"]?["status"] == 401)
                #expect(await seen.refusals == [.badSignature])
                #expect(JSON.parse(try await feishu.message(card.messageID).content ?? "") == JSON.parse(sharedCard("已同意")))
            }
            group.cancelAll()
        }
    }
}

actor Seen {
    private(set) var actions: [FeishuCardAction] = []
    private(set) var refusals: [FeishuCallbackError] = []
    func add(_ action: FeishuCardAction) { actions.append(action) }
    func refuse(_ error: FeishuCallbackError) { refusals.append(error) }
}
