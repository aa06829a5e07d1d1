import Foundation
import NIOHTTP1

/// IM v1 (`/open-apis/im/v1`, `feishu-api.md` §4): send a message, update a card, read a message, upload an image.
///
/// Every call goes through ``FeishuClient/call(_:as:)``: the shared per-app per-API limiter (50/s, 1000/min), retries
/// of 429 (after exactly `x-ogw-ratelimit-reset`), 5xx, transport errors, internal codes and the IM frequency codes
/// 230020 / 11232 / 11233 with back-off, and a token refresh when the token is refused. Other codes are thrown as
/// ``FeishuAPIError`` (see the IM codes in `IMModels.swift`).
extension FeishuClient {
    static let im = "/open-apis/im/v1"

    private struct Items<Item: Decodable & Sendable>: Decodable, Sendable { var items: [Item]? }
    private struct ImageData: Decodable, Sendable {
        var imageKey: String
        enum CodingKeys: String, CodingKey { case imageKey = "image_key" }
    }

    /// Sends a message as the app's bot and answers it (its `messageID` is what cards are later updated by).
    ///
    /// - Parameters:
    ///   - content: the content as a JSON **string** (`FeishuMessageContent.text("…")`, a rendered card …). Text
    ///     requests are limited to 150 KB, cards and rich text to 30 KB (the whole request body, §4.1).
    ///   - uuid: the idempotency key (≤ 50 characters): the platform sends at most one message per `uuid` and app per
    ///     hour and answers repeats with that message. This client re-sends the identical body, `uuid` included, on
    ///     every retry (429, 5xx, 230020, timeouts and connection errors), so its own retries never duplicate a message
    ///     when a `uuid` is given. Keeping the same `uuid` for the same (message, recipient) across attempts the client
    ///     does not see — a later resend from an outbox, a restart after a crash — is the caller's contract: store it
    ///     with the delivery, never mint a new one for a resend. Without a `uuid`, a retry after a lost answer can
    ///     deliver twice.
    ///   - recipientLimiter: a limiter with ``RateLimiter/Limits/feishuPerRecipient`` shared by all senders of the app,
    ///     to stay under 5 messages per second to one user or chat instead of collecting 230020 answers. Keyed by the
    ///     id as given: address one person with one id type.
    public func sendMessage(to receiveID: String, idType: ReceiveIDType, type: MessageType, content: String, uuid: String?,
                            recipientLimiter: RateLimiter? = nil) async throws -> FeishuMessage
    {
        var body: [String: String] = ["receive_id": receiveID, "msg_type": type.rawValue, "content": content]
        if let uuid { body["uuid"] = uuid }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let request = FeishuRequest(.POST, Self.im + "/messages", query: [("receive_id_type", idType.rawValue)],
                                    body: try encoder.encode(body))
        try await recipientLimiter?.acquire("\(credentials.appID) \(idType.rawValue) \(receiveID)")
        return try await call(request)
    }

    /// Replaces a card the app sent (`PATCH im/v1/messages/:message_id`, §4.4): only shared cards — `config.update_multi:
    /// true` in the card as sent and in `card` —, within 14 days of sending (else 230031), 5 updates per second per
    /// message, at most 30 KB. Retrying is safe: the same card twice is the same card.
    public func updateCard(messageID: String, card: String) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let request = FeishuRequest(.PATCH, Self.im + "/messages/\(Self.escape(messageID))",
                                    api: "PATCH \(Self.im)/messages/:message_id", body: try encoder.encode(["content": card]))
        let _: Empty = try await call(request)
    }

    /// One message (`GET im/v1/messages/:message_id`), for a bot in its chat.
    public func message(_ messageID: String) async throws -> FeishuMessage {
        let data: Items<FeishuMessage> = try await call(FeishuRequest(.GET, Self.im + "/messages/\(Self.escape(messageID))",
                                                                      api: "GET \(Self.im)/messages/:message_id"))
        guard let message = data.items?.first else {
            throw FeishuClientError.decoding(api: "GET \(Self.im)/messages/:message_id", detail: "no message in data.items")
        }
        return message
    }

    /// Uploads an image (JPG, PNG, WEBP, GIF, BMP, ICO, TIFF, HEIC; 1 byte to 10 MB) as `multipart/form-data` and answers
    /// its `image_key`, usable by this app's messages (`image`, `img` in rich text, `img_key` in cards). A retried upload
    /// may leave an unused second key behind, which is harmless.
    public func uploadImage(_ image: Data, type: ImageType = .message, filename: String = "image") async throws -> String {
        let boundary = "yunqiao-" + UUID().uuidString
        var body = Data()
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image_type\"\r\n\r\n\(type.rawValue)\r\n".utf8)
        let safeName = filename.replacingOccurrences(of: "\"", with: "").replacingOccurrences(of: "\r", with: "")
            .replacingOccurrences(of: "\n", with: "")
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"\(safeName)\"\r\n".utf8)
        body += Data("Content-Type: application/octet-stream\r\n\r\n".utf8)
        body += image
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        var request = FeishuRequest(.POST, Self.im + "/images", body: body)
        request.contentType = "multipart/form-data; boundary=\(boundary)"
        let data: ImageData = try await call(request)
        return data.imageKey
    }
}
