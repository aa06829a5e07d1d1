import Foundation

/// Who a message goes to (`receive_id_type`, required on send, `feishu-api.md` §4.1).
public enum ReceiveIDType: String, Sendable, Codable, CaseIterable {
    case openID = "open_id", unionID = "union_id", userID = "user_id", email, chatID = "chat_id"
}

/// `msg_type` of a message (§4.1, formats §4.2).
public enum MessageType: String, Sendable, Codable, CaseIterable {
    case text, post, image, file, audio, media, sticker, interactive, system
    case shareChat = "share_chat", shareUser = "share_user"
}

/// What an uploaded image is for (`image_type`).
public enum ImageType: String, Sendable, Codable, CaseIterable {
    case message, avatar
}

/// A message as `im/v1/messages` answers it (send, get). Decoded leniently: times come as millisecond strings.
public struct FeishuMessage: Sendable, Equatable, Decodable {
    public var messageID: String
    public var msgType: String
    public var chatID: String?
    /// `body.content`: the JSON string of the content (rich text comes back flattened to one language, §4.2).
    public var content: String?
    /// Milliseconds since 1970.
    public var createTime: Int64?
    public var updateTime: Int64?
    public var deleted: Bool
    public var updated: Bool
    public var rootID: String?
    public var parentID: String?
    /// `sender.id`: the app id for messages a bot sent.
    public var senderID: String?
    public var senderType: String?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        guard let id = c.lenientString(AnyKey("message_id")), !id.isEmpty else {
            throw DecodingError.keyNotFound(AnyKey("message_id"), .init(codingPath: c.codingPath, debugDescription: "a message without an id"))
        }
        messageID = id
        msgType = c.lenientString(AnyKey("msg_type")) ?? ""
        chatID = c.lenientString(AnyKey("chat_id"))
        content = c.lenient(Body.self, AnyKey("body"))?.content
        createTime = c.lenientInt(AnyKey("create_time")).map(Int64.init)
        updateTime = c.lenientInt(AnyKey("update_time")).map(Int64.init)
        deleted = c.lenientBool(AnyKey("deleted")) ?? false
        updated = c.lenientBool(AnyKey("updated")) ?? false
        rootID = c.lenientString(AnyKey("root_id")).flatMap { $0.isEmpty ? nil : $0 }
        parentID = c.lenientString(AnyKey("parent_id")).flatMap { $0.isEmpty ? nil : $0 }
        let sender = c.lenient(Sender.self, AnyKey("sender"))
        senderID = sender?.id
        senderType = sender?.senderType
    }

    private struct Body: Decodable {
        var content: String?
    }

    private struct Sender: Decodable {
        var id: String?
        var senderType: String?
        enum CodingKeys: String, CodingKey {
            case id
            case senderType = "sender_type"
        }
    }
}

/// `content` strings for the simple message types (§4.2); cards and rich text are rendered by the caller.
public enum FeishuMessageContent {
    public static func text(_ text: String) -> String { encode(["text": text]) }
    public static func image(key: String) -> String { encode(["image_key": key]) }
    public static func shareChat(_ chatID: String) -> String { encode(["chat_id": chatID]) }

    private static func encode(_ fields: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(fields)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// Limits of `im/v1/messages` the caller should shape to (§1.6, §4.1, §4.4, §7).
public enum FeishuIMLimits {
    /// A text message's request body (the whole JSON body, not only `content`).
    public static let textRequestBytes = 150 * 1024
    /// A card's or a rich text's request body.
    public static let cardRequestBytes = 30 * 1024
    /// Cards can be updated for 14 days after they were sent.
    public static let cardUpdateWindow: Duration = .seconds(14 * 86_400)
    /// Messages to one user, or to one chat (all bots of the chat together), per second; updates of one message per second.
    public static let perRecipientPerSecond = 5
    /// Images are at most 10 MB.
    public static let imageBytes = 10 * 1024 * 1024
    /// A `uuid` is at most 50 characters and dedupes for one hour.
    public static let uuidMaxLength = 50
}

extension RateLimiter.Limits {
    /// 5 per second (and so 300 per minute) to one recipient or chat: use one ``RateLimiter`` with these limits as the
    /// `recipientLimiter` of ``FeishuClient/sendMessage(to:idType:type:content:uuid:recipientLimiter:)``.
    public static let feishuPerRecipient = RateLimiter.Limits(perSecond: 5, perMinute: 300)
}

/// IM error codes (`feishu-api.md` §4.1, the send and PATCH pages' tables). Only `code` decides; `msg` is for people.
extension FeishuAPIError {
    public static let imInvalidParameter = 230001
    public static let botNotInChat = 230002
    public static let botNotAvailableToUser = 230013
    public static let resourceNotOwned = 230017
    /// Per user, per chat or per message: retry after a back-off.
    public static let imRateLimited = 230020
    public static let messageTooLong = 230025
    public static let imNoPermission = 230027
    public static let userResigned = 230029
    public static let cardUpdateWindowClosed = 230031
    public static let invalidReceiveID = 230034
    public static let cardBuildFailed = 230099
    public static let chatDissolved = 232009
    /// Older create-message limits (service-wide, per chat): retry after a back-off.
    public static let messageServiceRateLimited = 11232
    public static let messageChatRateLimited = 11233
    /// The 500 000 messages per app per day of batch sending: not retryable today.
    public static let batchDailyCapReached = 11247
    public static let messageNotFound = 99992354

    /// The receiver cannot get messages from this bot (unknown id, outside the availability range, resigned, the
    /// bot blocked or not in the chat): sending again does not help, the receiver or the app's settings must change.
    public var isReceiverUnreachable: Bool {
        [Self.botNotInChat, Self.botNotAvailableToUser, Self.userResigned, Self.invalidReceiveID, Self.chatDissolved, 230053,
         99992351, 99992360, 99992361, 99992364, 99992355, 99992356].contains(code)
    }
}
