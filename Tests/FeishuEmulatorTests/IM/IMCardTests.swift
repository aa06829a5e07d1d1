import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

/// `PATCH im/v1/messages/:message_id` (`feishu-api.md` §4.3, §4.4) and the IM rate limits (§1.6, §7).
@Suite struct IMCardUpdateTests {
    @Test func aSharedCardIsUpdatedAndItsHistoryKept() async throws {
        try await withEmulator { api async throws in
            let sent = try await api.sendCard("zhangsan", IM.card("待审批"), type: "user_id")
            let id = try #require(sent.messageID, "\(sent.text)")
            let done = IM.card("已同意")
            let patched = try await api.patchCard(id, done)
            #expect(patched.code == 0 && patched.status == .ok, "\(patched.text)")
            #expect(patched.data == [:])
            let got = try #require(try await api.get("\(IM.messages)/\(id)").items.first)
            #expect(got["updated"] == true)
            #expect(JSON.parse(got["body"]?["content"]?.stringValue ?? "") == done)
            #expect((Int64(got["update_time"]?.stringValue ?? "") ?? 0) >= (Int64(got["create_time"]?.stringValue ?? "") ?? .max))

            let held = try #require(try await api.heldMessages("app_id=\(TestApps.main.appID)").first)
            #expect(held["content_json"] == done)
            #expect(held["update_multi"] == true)
            let updates = held["updates"]?.arrayValue ?? []
            #expect(updates.count == 1)
            #expect(updates.first?["source"] == "patch")
            #expect(updates.first?["content"] == .string(done.serialized))
        }
    }

    @Test func onlyTheSendersOwnSharedCardsCanBeUpdated() async throws {
        try await withEmulator { api async throws in
            let text = try #require(try await api.sendMessage("zhangsan", type: "user_id", msgType: "text", content: IM.text("x")).messageID)
            #expect(try await api.patchCard(text, IM.card("x")).code == 230001)

            let unshared = try #require(try await api.sendCard("zhangsan", IM.card("独享", shared: nil), type: "user_id").messageID)
            let refused = try await api.patchCard(unshared, IM.card("x"))
            #expect(refused.code == 230001 && refused.status == .badRequest)

            let shared = try #require(try await api.sendCard("zhangsan", IM.card("共享"), type: "user_id").messageID)
            #expect(try await api.patchCard(shared, IM.card("新", shared: false)).code == 230001, "update_multi before and after")
            #expect(try await api.patchCard(shared, IM.card("新", shared: nil)).code == 230001)
            #expect(try await api.patch("\(IM.messages)/\(shared)", ["content": IM.card("x")]).code == 99992402, "content is a string")
            #expect(try await api.patch("\(IM.messages)/\(shared)", ["content": "{bad"]).code == 230099)
            let big = IM.card(String(repeating: "长", count: 11 * 1024))
            #expect(try await api.patchCard(shared, big).code == 230025)
            #expect(try await api.patchCard("om_nothing", IM.card("x")).code == 99992354)
            let other = try await api.asApp(TestApps.other)
            #expect(try await other.patchCard(shared, IM.card("x")).code == 230027)

            // Schema 2.0 cards are shared unless they say otherwise.
            let v2 = try #require(try await api.sendCard("zhangsan", IM.cardV2("v2"), type: "user_id").messageID)
            #expect(try await api.patchCard(v2, IM.cardV2("v2 done")).code == 0)
            let v2Unshared = try #require(try await api.sendCard("zhangsan", IM.cardV2("v2", config: ["update_multi": false]),
                                                                 type: "user_id").messageID)
            #expect(try await api.patchCard(v2Unshared, IM.cardV2("x")).code == 230001)
            #expect(try await api.heldMessages("updated=true").count == 5, "no filter named updated: all messages")
        }
    }

    @Test func cardsCanBeUpdatedFor14Days() async throws {
        try await withEmulator { api async throws in
            try await api.client.freezeClock()
            let id = try #require(try await api.sendCard("zhangsan", IM.card("待审批"), type: "user_id").messageID)
            try await api.client.advanceClock(seconds: 14 * 86_400 - 1)
            let later = try await api.asApp(TestApps.main)  // the first token expired long ago
            #expect(try await later.patchCard(id, IM.card("第 14 天")).code == 0)
            try await api.client.advanceClock(seconds: 2)
            let late = try await later.patchCard(id, IM.card("第 15 天"))
            #expect(late.code == 230031 && late.status == .badRequest, "\(late.text)")
            #expect(late.json?["msg"] == "Message can only be modified within 14 days after sending.")
        }
    }
}

@Suite struct IMRateLimitTests {
    @Test(.timeLimit(.minutes(1)))
    func fiveMessagesPerSecondToOneUser() async throws {
        try await withEmulator(try TestOrg.configuration(rateLimit: true)) { api async throws in
            try await api.client.freezeClock()
            var last: String?
            for index in 0..<5 {
                let reply = try await api.sendMessage("zhangsan", type: "user_id", msgType: "text", content: IM.text("\(index)"),
                                                      uuid: "rate-\(index)")
                #expect(reply.code == 0)
                last = reply.messageID
            }
            let sixth = try await api.sendMessage("zhangsan", type: "user_id", msgType: "text", content: IM.text("6"))
            #expect(sixth.code == 230020 && sixth.status == .badRequest, "\(sixth.text)")
            // By another id of the same user: the same user.
            #expect(try await api.sendMessage("zhangsan@example.com", type: "email", msgType: "text", content: IM.text("7")).code == 230020)
            // Another user, and another bot to the same user, are other budgets.
            #expect(try await api.sendMessage("lisi", type: "user_id", msgType: "text", content: IM.text("x")).code == 0)
            let other = try await api.asApp(TestApps.other)
            #expect(try await other.sendMessage("zhangsan", type: "user_id", msgType: "text", content: IM.text("x")).code == 0)
            // A retried uuid is answered even while the user's budget is used up.
            let retried = try await api.sendMessage("zhangsan", type: "user_id", msgType: "text", content: IM.text("4"), uuid: "rate-4")
            #expect(retried.code == 0 && retried.messageID == last)
            let counters = try await api.admin(.get, "state?org=false").json?["counters"]
            #expect(counters?["rate_limited"]?[Endpoint.messageCreate.rawValue] == 2)
            try await api.client.advanceClock(seconds: 1)
            #expect(try await api.sendMessage("zhangsan", type: "user_id", msgType: "text", content: IM.text("8")).code == 0)
            #expect(try await api.heldMessages("user_id=zhangsan").count == 7)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func fivePerSecondToOneChatSharedByItsBots() async throws {
        try await withEmulator(try TestOrg.configuration(rateLimit: true)) { api async throws in
            let created = try await api.admin(.post, "chats", ["name": "群", "members": ["zhangsan"],
                                                                 "apps": [.string(TestApps.main.appID), .string(TestApps.other.appID)]])
            let chatID = try #require(created.json?["chat_id"]?.stringValue)
            let other = try await api.asApp(TestApps.other)
            try await api.client.freezeClock()
            for bot in [api, api, api, other, other] {
                #expect(try await bot.sendMessage(chatID, type: "chat_id", msgType: "text", content: IM.text("x")).code == 0)
            }
            #expect(try await other.sendMessage(chatID, type: "chat_id", msgType: "text", content: IM.text("x")).code == 230020)
            #expect(try await api.sendMessage(chatID, type: "chat_id", msgType: "text", content: IM.text("x")).code == 230020)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func fiveUpdatesPerSecondOfOneMessage() async throws {
        try await withEmulator(try TestOrg.configuration(rateLimit: true)) { api async throws in
            let id = try #require(try await api.sendCard("zhangsan", IM.card("0"), type: "user_id").messageID)
            let second = try #require(try await api.sendCard("lisi", IM.card("0"), type: "user_id").messageID)
            try await api.client.freezeClock()
            for index in 1...5 { #expect(try await api.patchCard(id, IM.card("\(index)")).code == 0) }
            #expect(try await api.patchCard(id, IM.card("6")).code == 230020)
            #expect(try await api.patchCard(second, IM.card("1")).code == 0, "per message")
            try await api.client.advanceClock(seconds: 1)
            #expect(try await api.patchCard(id, IM.card("7")).code == 0)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func fiftySendsPerSecondPerApp() async throws {
        try await withEmulator(try TestOrg.configuration(rateLimit: true)) { api async throws in
            let users = TestOrg.memberIDs(of: "g51", count: 51)
            try await api.client.freezeClock()
            for user in users.prefix(50) {
                #expect(try await api.sendMessage(user, type: "user_id", msgType: "text", content: IM.text("x")).code == 0)
            }
            let limited = try await api.sendMessage(users[50], type: "user_id", msgType: "text", content: IM.text("x"))
            #expect(limited.status == .tooManyRequests && limited.code == 99991400)
            #expect(limited.header("x-ogw-ratelimit-limit") == "50" && limited.header("x-ogw-ratelimit-reset") == "1")
            // Other IM APIs of the app have their own 50/s.
            let first = try #require(try await api.heldMessages().first?["message_id"]?.stringValue)
            #expect(try await api.get("\(IM.messages)/\(first)").code == 0)
        }
    }

    @Test func limitsAreOffWithTheRateLimit() async throws {
        try await withEmulator { api async throws in
            for index in 0..<12 {
                #expect(try await api.sendMessage("zhangsan", type: "user_id", msgType: "text", content: IM.text("\(index)")).code == 0)
            }
        }
    }
}

@Suite struct IMImageTests {
    @Test func anUploadedImageCanBeSentByItsApp() async throws {
        try await withEmulator { api async throws in
            let upload = try await api.uploadImage(IM.png)
            #expect(upload.code == 0, "\(upload.text)")
            let key = try #require(upload.data?["image_key"]?.stringValue)
            #expect(key.hasPrefix("img_v3_"))
            #expect(try await api.sendMessage("zhangsan", type: "user_id", msgType: "image",
                                              content: JSON.object(["image_key": .string(key)]).serialized).code == 0)
            #expect(try await api.sendMessage("zhangsan", type: "user_id", msgType: "post", content: IM.post(image: key).serialized).code == 0)
            let card = JSON.object(["config": ["update_multi": true],
                                    "elements": [["tag": "img", "img_key": .string(key), "alt": ["tag": "plain_text", "content": "图"]]]])
            #expect(try await api.sendCard("zhangsan", card, type: "user_id").code == 0)
            // Another app's bot does not own the image.
            let other = try await api.asApp(TestApps.other)
            #expect(try await other.sendMessage("zhangsan", type: "user_id", msgType: "image",
                                                content: JSON.object(["image_key": .string(key)]).serialized).code == 230017)
            #expect(try await other.sendCard("zhangsan", card, type: "user_id").code == 230099)
        }
    }

    @Test func uploadsAreChecked() async throws {
        try await withEmulator { api async throws in
            #expect(try await api.uploadImage(IM.png, imageType: "file").code == 234001)
            #expect(try await api.uploadImage(IM.png, contentType: "application/octet-stream").code == 234001)
            #expect(try await api.uploadImage(Data()).code == 234010)
            #expect(try await api.uploadImage(Data("just text, not an image".utf8)).code == 234011)
            let big = IM.png + Data(count: 10 * 1024 * 1024)
            #expect(try await api.uploadImage(big).code == 234006)
            #expect(try await api.uploadImage(IM.png, imageType: "avatar").code == 0)
            let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]) + Data("JFIF".utf8)
            #expect(try await api.uploadImage(jpeg).code == 0)
        }
    }

    @Test func multipartBodiesAreParsed() throws {
        let body = Data(("preamble\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
            + "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\nContent-Type: image/png\r\n\r\n"
            + "\r\n--\r\n--b--\r\n").utf8)
        let parts = try #require(MultipartBody.parse(body, contentType: "multipart/form-data; boundary=\"b\""))
        #expect(parts.map(\.name) == ["a", "f"])
        #expect(parts[0].body == Data("1".utf8))
        #expect(parts[1].filename == "x.bin" && parts[1].contentType == "image/png")
        #expect(parts[1].body == Data("\r\n--".utf8))
        #expect(MultipartBody.parse(body, contentType: "application/json") == nil)
        #expect(MultipartBody.parse(Data("--b\r\nno end".utf8), contentType: "multipart/form-data; boundary=b") == nil)
    }
}
