import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import FeishuEmulator

/// Helpers of the IM suites (`feishu-api.md` §4, §6.8–6.10).
enum IM {
    static let messages = "/open-apis/im/v1/messages"
    static let images = "/open-apis/im/v1/images"

    static func text(_ text: String) -> String { JSON.object(["text": .string(text)]).serialized }

    /// A v1 card with one callback button; shared (`update_multi`) unless told otherwise.
    static func card(_ title: String, shared: Bool? = true, value: JSON = ["op": "approve", "id": "42"], button: String = "同意")
        -> JSON
    {
        var config: [String: JSON] = ["wide_screen_mode": true]
        if let shared { config["update_multi"] = .bool(shared) }
        return [
            "config": .object(config),
            "header": ["title": ["tag": "plain_text", "content": .string(title)], "template": "blue"],
            "elements": [
                ["tag": "div", "text": ["tag": "lark_md", "content": "**申请**：差旅"]],
                ["tag": "action", "actions": [
                    ["tag": "button", "text": ["tag": "plain_text", "content": .string(button)], "type": "primary", "value": value],
                    ["tag": "button", "text": ["tag": "plain_text", "content": "打开"], "type": "default",
                     "url": "https://oa.example.com/item/42"],
                ]],
            ],
        ]
    }

    /// A schema 2.0 card with a callback button (`behaviors`).
    static func cardV2(_ title: String, config: [String: JSON] = [:], value: JSON = ["op": "reject", "id": "7"]) -> JSON {
        [
            "schema": "2.0",
            "config": .object(config),
            "header": ["title": ["tag": "plain_text", "content": .string(title)]],
            "body": ["elements": [
                ["tag": "markdown", "content": "待审批"],
                ["tag": "button", "text": ["tag": "plain_text", "content": "驳回"], "type": "danger",
                 "behaviors": [["type": "callback", "value": value]]],
            ]],
        ]
    }

    static func post(title: String = "标题", image: String? = nil) -> JSON {
        var paragraphs: [JSON] = [[["tag": "text", "text": "正文", "style": ["bold"]], ["tag": "a", "text": "链接", "href": "https://oa.example.com"]]]
        if let image { paragraphs.append([["tag": "img", "image_key": .string(image)]]) }
        return ["zh_cn": ["title": .string(title), "content": .array(paragraphs)],
                "en_us": ["title": "Title", "content": [[["tag": "text", "text": "body"]]]]]
    }

    /// A 1×1 PNG.
    static let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==") ?? Data()
}

extension API {
    /// `POST im/v1/messages` with `content` already a JSON string.
    func sendMessage(_ receiveID: String, type idType: String = "open_id", msgType: String, content: String, uuid: String? = nil)
        async throws -> Reply
    {
        var body: [String: JSON] = ["receive_id": .string(receiveID), "msg_type": .string(msgType), "content": .string(content)]
        if let uuid { body["uuid"] = .string(uuid) }
        return try await self.post("\(IM.messages)?receive_id_type=\(idType)", .object(body))
    }

    func sendCard(_ receiveID: String, _ card: JSON, type idType: String = "open_id", uuid: String? = nil) async throws -> Reply {
        try await self.sendMessage(receiveID, type: idType, msgType: "interactive", content: card.serialized, uuid: uuid)
    }

    func patchCard(_ messageID: String, _ card: JSON) async throws -> Reply {
        try await self.patch("\(IM.messages)/\(messageID)", ["content": .string(card.serialized)])
    }

    /// A user's open_id for the app this API speaks as, by custom user_id.
    func openID(_ userID: String) async throws -> String {
        let reply = try await self.user(userID)
        return try #require(reply.data?["user"]?["open_id"]?.stringValue, "\(reply.text)")
    }

    func unionID(_ userID: String) async throws -> String {
        let reply = try await self.user(userID)
        return try #require(reply.data?["user"]?["union_id"]?.stringValue, "\(reply.text)")
    }

    /// `POST im/v1/images` as multipart/form-data.
    func uploadImage(_ data: Data, imageType: String = "message", contentType: String? = nil) async throws -> Reply {
        let boundary = "----emulator-test-boundary-7MA4YWxkTrZu0gW"
        var body = Data()
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image_type\"\r\n\r\n\(imageType)\r\n".utf8)
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n".utf8)
        body += Data("Content-Type: application/octet-stream\r\n\r\n".utf8) + data + Data("\r\n--\(boundary)--\r\n".utf8)
        var headers = HTTPFields()
        headers[.authorization] = "Bearer " + self.token
        headers[.contentType] = contentType ?? "multipart/form-data; boundary=\(boundary)"
        return try await self.client.execute(uri: IM.images, method: .post, headers: headers, body: ByteBuffer(bytes: body)) { Reply($0) }
    }

    /// The messages the emulator holds, from `/_emulator/messages`.
    func heldMessages(_ query: String = "") async throws -> [JSON] {
        let reply = try await self.admin(.get, "messages" + (query.isEmpty ? "" : "?" + query))
        #expect(reply.status == .ok, "\(reply.text)")
        return reply.json?["items"]?.arrayValue ?? []
    }
}

extension Reply {
    var messageID: String? { self.data?["message_id"]?.stringValue }
}
