import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import FeishuEmulator

/// `POST/GET im/v1/messages` (`feishu-api.md` §4.1, §4.2): receivers, content per type, size limits, `uuid`.
@Suite struct IMSendTests {
    @Test func textReachesAUserByEveryIDType() async throws {
        try await withEmulator { api async throws in
            let openID = try await api.openID("zhangsan")
            let unionID = try await api.unionID("zhangsan")
            var chats: Set<String> = []
            for (type, id) in [("open_id", openID), ("union_id", unionID), ("user_id", "zhangsan"), ("email", "zhangsan@example.com")] {
                let content = IM.text("你好 \(type)")
                let reply = try await api.sendMessage(id, type: type, msgType: "text", content: content)
                #expect(reply.status == .ok && reply.code == 0, "\(type): \(reply.text)")
                let data = try #require(reply.data)
                #expect(data["message_id"]?.stringValue?.hasPrefix("om_") == true)
                #expect(data["msg_type"] == "text")
                #expect(data["body"]?["content"] == .string(content))
                #expect(data["deleted"] == false && data["updated"] == false)
                let created = try #require(data["create_time"]?.stringValue)
                #expect(Int64(created).map { $0 > 1_600_000_000_000 } == true, "milliseconds as a string")
                #expect(data["update_time"] == data["create_time"])
                #expect(data["sender"] == ["id": .string(TestApps.main.appID), "id_type": "app_id", "sender_type": "app",
                                           "tenant_key": "736588c9260f175d"])
                chats.insert(try #require(data["chat_id"]?.stringValue))
            }
            // One single chat between the bot and the user, whatever id named the user.
            #expect(chats.count == 1 && chats.first?.hasPrefix("oc_") == true)
            let held = try await api.heldMessages("user_id=zhangsan")
            #expect(held.count == 4)
            #expect(held.first?["receiver"]?["open_id"] == .string(openID))
            #expect(held.first?["chat_type"] == "p2p")
        }
    }

    @Test func receiversAreCheckedLikeThePlatform() async throws {
        try await withEmulator { api async throws in
            let hi = IM.text("hi")
            func code(_ id: String, _ type: String, _ on: API? = nil) async throws -> Int? {
                try await (on ?? api).sendMessage(id, type: type, msgType: "text", content: hi).code
            }
            let missingType = try await api.post(IM.messages, ["receive_id": "ou_x", "msg_type": "text", "content": .string(hi)])
            #expect(missingType.code == 99992402 && missingType.firstViolationField == "receive_id_type")
            #expect(try await code("ou_x", "mobile") == 99992402)
            #expect(try await code("ou_nobody", "open_id") == 99992351)
            #expect(try await code("on_nobody", "union_id") == 99992364)
            #expect(try await code("nobody", "user_id") == 99992360)
            #expect(try await code("nobody@example.com", "email") == 230034)
            #expect(try await code("oc_nothing", "chat_id") == 99992356)
            // Another app's open_id of a real user.
            let other = try await api.asApp(TestApps.other)
            #expect(try await code(try await other.openID("zhangsan"), "open_id") == 99992361)
            // Outside the bot's availability range (the limited app sees rd and wangwu only).
            let limited = try await api.asApp(TestApps.limited)
            #expect(try await code("sunqi", "user_id", limited) == 230013)
            #expect(try await code("wangwu", "user_id", limited) == 0)
            // A resigned user.
            #expect(try await api.delete("\(TestOrg.userAPI)/lisi?user_id_type=user_id").code == 0)
            #expect(try await code("lisi", "user_id") == 230029)
            // Missing fields.
            let noContent = try await api.post("\(IM.messages)?receive_id_type=user_id", ["receive_id": "sunqi", "msg_type": "text"])
            #expect(noContent.code == 99992402 && noContent.firstViolationField == "content")
            let objectContent = try await api.post("\(IM.messages)?receive_id_type=user_id",
                                                   ["receive_id": "sunqi", "msg_type": "text", "content": ["text": "hi"]])
            #expect(objectContent.code == 99992402 && objectContent.firstViolationField == "content")
            #expect(try await api.heldMessages().count == 1)
        }
    }

    @Test func contentIsCheckedPerType() async throws {
        try await withEmulator { api async throws in
            func send(_ type: String, _ content: String) async throws -> Reply {
                try await api.sendMessage("sunqi", type: "user_id", msgType: type, content: content)
            }
            #expect(try await send("text", #"{"txt":"hi"}"#).code == 230001)
            #expect(try await send("text", "hi").code == 230001)
            #expect(try await send("markdown", IM.text("hi")).code == 230001)
            #expect(try await send("post", IM.post().serialized).code == 0)
            #expect(try await send("post", JSON.object(["post": IM.post()]).serialized).code == 230001, "no v4 wrapper")
            #expect(try await send("post", #"{"zh_cn":{"content":[[{"tag":"marquee","text":"x"}]]}}"#).code == 230001)
            #expect(try await send("post", #"{"zh_cn":{"content":[[{"tag":"a","text":"x"}]]}}"#).code == 230001, "a needs href")
            #expect(try await send("post", IM.post(image: "img_v3_unknown").serialized).code == 230001)
            #expect(try await send("image", #"{"image_key":"img_v3_unknown"}"#).code == 230001)
            #expect(try await send("file", #"{"file_key":"file_v2_x"}"#).code == 230001)
            #expect(try await send("share_user", JSON.object(["user_id": .string(try await api.openID("zhangsan"))]).serialized).code == 0)
            #expect(try await send("system", #"{"type":"divider","params":{"divider_text":{"text":"新会话"}}}"#).code == 0)

            let broken = try await send("interactive", "{not json")
            #expect(broken.code == 230099 && broken.json?["msg"]?.stringValue?.contains("200621") == true, "\(broken.text)")
            #expect(try await send("interactive", #"{"elements":[{"text":"no tag"}]}"#).code == 230099)
            #expect(try await send("interactive", #"{"config":{}}"#).code == 230099)
            var noteInV2 = IM.cardV2("v2")
            noteInV2 = .object((noteInV2.objectValue ?? [:]).merging(["body": ["elements": [["tag": "note", "elements": []]]]]) { $1 })
            let v2 = try await send("interactive", noteInV2.serialized)
            #expect(v2.code == 230099 && v2.json?["msg"]?.stringValue?.contains("200861") == true, "\(v2.text)")
            let image = JSON.object(["elements": [["tag": "img", "img_key": "img_v3_nope", "alt": ["tag": "plain_text", "content": ""]]]])
            let badImage = try await send("interactive", image.serialized)
            #expect(badImage.code == 230099 && badImage.json?["msg"]?.stringValue?.contains("200570") == true)
            #expect(try await send("interactive", IM.card("ok").serialized).code == 0)
            #expect(try await send("interactive", IM.cardV2("ok").serialized).code == 0)
            #expect(try await send("interactive", #"{"type":"template","data":{"template_id":"AAq1","template_variable":{}}}"#).code == 0)
            #expect(try await api.heldMessages().count == 6)
        }
    }

    @Test func sizeLimitsCountTheRequestBody() async throws {
        try await withEmulator { api async throws in
            let uri = "\(IM.messages)?receive_id_type=user_id"
            func body(_ type: String, _ content: String) -> JSON {
                ["receive_id": "sunqi", "msg_type": .string(type), "content": .string(content)]
            }
            // The request body is exactly 150 KB, then one byte more.
            let overhead = body("text", IM.text("")).serialized.utf8.count
            let fits = body("text", IM.text(String(repeating: "a", count: 150 * 1024 - overhead)))
            #expect(fits.serialized.utf8.count == 150 * 1024)
            #expect(try await api.post(uri, fits).code == 0)
            let over = body("text", IM.text(String(repeating: "a", count: 150 * 1024 - overhead + 1)))
            let refused = try await api.post(uri, over)
            #expect(refused.code == 230025 && refused.status == .badRequest)

            let bigCard = IM.card(String(repeating: "卡", count: 11 * 1024))  // 33 KB of UTF-8
            #expect(try await api.sendCard("sunqi", bigCard, type: "user_id").code == 230025)
            let bigPost = IM.post(title: String(repeating: "长", count: 11 * 1024))
            #expect(try await api.sendMessage("sunqi", type: "user_id", msgType: "post", content: bigPost.serialized).code == 230025)
            // A 40 KB text is fine: only cards and rich text stop at 30 KB.
            #expect(try await api.sendMessage("sunqi", type: "user_id", msgType: "text",
                                              content: IM.text(String(repeating: "字", count: 13 * 1024))).code == 0)
        }
    }

    @Test func aUUIDSendsOncePerHour() async throws {
        try await withEmulator { api async throws in
            try await api.client.freezeClock()
            let first = try await api.sendMessage("zhaoliu", type: "user_id", msgType: "text", content: IM.text("一次"), uuid: "push-1")
            let again = try await api.sendMessage("zhaoliu", type: "user_id", msgType: "text", content: IM.text("一次"), uuid: "push-1")
            #expect(first.code == 0 && again.code == 0)
            #expect(again.messageID == first.messageID)
            #expect(again.data == first.data, "the same message is answered")
            // Another receiver or content with the same uuid still answers the first message.
            let other = try await api.sendMessage("sunqi", type: "user_id", msgType: "text", content: IM.text("二"), uuid: "push-1")
            #expect(other.messageID == first.messageID)
            #expect(try await api.heldMessages("uuid=push-1").count == 1)
            // Another app has its own uuids.
            let otherApp = try await api.asApp(TestApps.other)
            let theirs = try await otherApp.sendMessage("zhaoliu", type: "user_id", msgType: "text", content: IM.text("一次"), uuid: "push-1")
            #expect(theirs.code == 0 && theirs.messageID != first.messageID)
            // A failed request does not use the uuid up.
            #expect(try await api.sendMessage("nobody", type: "user_id", msgType: "text", content: IM.text("x"), uuid: "push-2").code
                == 99992360)
            #expect(try await api.sendMessage("zhaoliu", type: "user_id", msgType: "text", content: IM.text("x"), uuid: "push-2").code == 0)
            // After an hour the uuid sends again.
            try await api.client.advanceClock(seconds: 3599)
            #expect(try await api.sendMessage("zhaoliu", type: "user_id", msgType: "text", content: IM.text("一次"), uuid: "push-1")
                .messageID == first.messageID)
            try await api.client.advanceClock(seconds: 2)
            let later = try await api.sendMessage("zhaoliu", type: "user_id", msgType: "text", content: IM.text("一次"), uuid: "push-1")
            #expect(later.code == 0 && later.messageID != first.messageID)
            #expect(try await api.heldMessages("uuid=push-1&app_id=\(TestApps.main.appID)").count == 2)

            let long = try await api.sendMessage("zhaoliu", type: "user_id", msgType: "text", content: IM.text("x"),
                                                 uuid: String(repeating: "u", count: 51))
            #expect(long.code == 99992402 && long.firstViolationField == "uuid")
        }
    }

    @Test func getAnswersTheMessageToBotsOfItsChat() async throws {
        try await withEmulator { api async throws in
            let sent = try await api.sendMessage("zhangsan", type: "user_id", msgType: "post", content: IM.post().serialized)
            let id = try #require(sent.messageID)
            let got = try await api.get("\(IM.messages)/\(id)")
            #expect(got.code == 0)
            let item = try #require(got.items.first)
            #expect(item["message_id"] == .string(id) && item["msg_type"] == "post")
            // Rich text comes back flattened to one language.
            let content = JSON.parse(item["body"]?["content"]?.stringValue ?? "")
            #expect(content?["title"] == "标题")
            #expect(content?["content"]?.arrayValue?.count == 1)
            #expect(content?["zh_cn"] == nil)
            #expect(sent.data?["body"] == item["body"])

            #expect(try await api.get("\(IM.messages)/om_nothing").code == 99992354)
            let other = try await api.asApp(TestApps.other)
            #expect(try await other.get("\(IM.messages)/\(id)").code == 230027)
            #expect(try await api.get("\(IM.messages)/\(id)?user_id_type=nope").code == 99992402)
        }
    }

    @Test func groupChatsNeedTheBot() async throws {
        try await withEmulator { api async throws in
            let created = try await api.admin(.post, "chats", ["name": "审批群", "members": ["zhangsan", "lisi"],
                                                                 "apps": [.string(TestApps.main.appID)]])
            let chatID = try #require(created.json?["chat_id"]?.stringValue)
            let sent = try await api.sendMessage(chatID, type: "chat_id", msgType: "text", content: IM.text("大家好"))
            #expect(sent.code == 0 && sent.data?["chat_id"] == .string(chatID))
            let other = try await api.asApp(TestApps.other)
            #expect(try await other.sendMessage(chatID, type: "chat_id", msgType: "text", content: IM.text("x")).code == 230002)
            // Sharing a group is fine, sharing a single chat is not.
            #expect(try await api.sendMessage("sunqi", type: "user_id", msgType: "share_chat",
                                              content: JSON.object(["chat_id": .string(chatID)]).serialized).code == 0)
            let p2p = try #require(try await api.sendMessage("sunqi", type: "user_id", msgType: "text", content: IM.text("x")).data?["chat_id"])
            #expect(try await api.sendMessage("sunqi", type: "user_id", msgType: "share_chat",
                                              content: JSON.object(["chat_id": p2p]).serialized).code == 230015)
            // A bot may write into its single chat by chat_id; another bot may not.
            #expect(try await api.sendMessage(p2p.stringValue ?? "", type: "chat_id", msgType: "text", content: IM.text("y")).code == 0)
            #expect(try await other.sendMessage(p2p.stringValue ?? "", type: "chat_id", msgType: "text", content: IM.text("y")).code == 230002)
            #expect(try await api.admin(.delete, "chats/\(chatID)").status == .ok)
            #expect(try await api.sendMessage(chatID, type: "chat_id", msgType: "text", content: IM.text("x")).code == 232009)
            #expect(try await api.heldMessages("chat_id=\(chatID)").count == 1)
        }
    }

    @Test func onlyTenantTokensSend() async throws {
        try await withClient { client async throws in
            let reply = try await client.send(.post, "/open-apis/auth/v3/app_access_token/internal",
                                              json: ["app_id": .string(TestApps.main.appID), "app_secret": .string(TestApps.main.appSecret)])
            let appToken = try #require(reply.json?["app_access_token"]?.stringValue)
            let answer = try await client.send(.post, "\(IM.messages)?receive_id_type=user_id", authorization: "Bearer " + appToken,
                                               json: ["receive_id": "sunqi", "msg_type": "text", "content": .string(IM.text("x"))])
            #expect(answer.code == 99991663)
            #expect(try await client.send(.post, IM.messages).code == 99991661)
        }
    }
}
