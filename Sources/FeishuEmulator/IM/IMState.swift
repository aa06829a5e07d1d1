import Foundation

/// The IM area (`feishu-api.md` §4): messages with their update history, chats, uploaded images, `uuid` answers and
/// the card callbacks sent, with the rules of sending, updating and reading them. Users and ids come from the org,
/// which the caller lends; times from the caller's clock.
struct IMState: Sendable {
    /// One change of a message's content after it was sent.
    struct Update: Sendable {
        /// Milliseconds, emulator clock.
        var time: Int64
        var content: String
        /// `patch` (PATCH im/v1/messages) or `callback` (the card in an app's answer to a click).
        var source: String
        /// The user who clicked, for `callback` updates.
        var userKey: Int?
    }

    /// A message a bot sent, with its content as sent or last updated.
    struct Message: Sendable {
        var id: String
        var appID: String
        var msgType: String
        /// The content exactly as sent (or as last updated): a JSON string.
        var content: String
        /// Milliseconds, emulator clock.
        var createTime: Int64
        var updateTime: Int64
        var chatID: String
        var receiveIDType: String
        var receiveID: String
        /// The user of a single (p2p) chat; `nil` for a group chat.
        var recipientKey: Int?
        var uuid: String?
        /// `config.update_multi` of the card as sent: only shared cards can be PATCHed.
        var updateMulti: Bool
        var updates: [Update] = []
        var sequence: Int
    }

    /// A group chat (made by the operator) or a bot's single chat with one user.
    struct Chat: Sendable {
        var id: String
        var name: String
        var members: Set<Int>
        /// Apps whose bot is in the chat.
        var apps: Set<String>
        /// Set for a bot's single chat with one user (`chat_type` p2p).
        var p2pApp: String?
        var dissolved = false
        var sequence: Int
    }

    /// An uploaded image: its key and which app owns it.
    struct Image: Sendable {
        var key: String
        var appID: String
        var imageType: String
        var format: String
        var size: Int
    }

    /// The message a `uuid` created, remembered for an hour.
    struct SentUUID: Sendable {
        var messageID: String
        var expiresAt: Double
    }

    var messages: [String: Message] = [:]
    var messageOrder: [String] = []
    /// `app_id|uuid` → the message it created, for one hour.
    var uuids: [String: SentUUID] = [:]
    var images: [String: Image] = [:]
    var chats: [String: Chat] = [:]
    /// `app_id|user key` → the bot's single chat with the user.
    var p2pChats: [String: String] = [:]
    /// The last card callbacks sent (newest last), as `/_emulator/callbacks` shows them.
    var callbacks: [JSON] = []
    var nextSequence = 1
    var createsSincePurge = 0

    mutating func takeSequence() -> Int {
        defer { nextSequence += 1 }
        return nextSequence
    }

    static let messageTypes: Set<String> = ["text", "post", "image", "file", "audio", "media", "sticker", "interactive",
                                            "share_chat", "share_user", "system"]
    static let textLimit = 150 * 1024
    static let richLimit = 30 * 1024
    /// Requests with the same `uuid` succeed at most once per hour.
    static let uuidLifetime = 3600.0
    /// Cards can be updated within 14 days of sending.
    static let cardUpdateWindow = 14 * 86_400.0
    /// 5 QPS to one user, to one chat (all bots together), and for updates of one message.
    static let perTargetPerSecond = 5
    static let postTags: Set<String> = ["text", "a", "at", "img", "media", "emotion", "hr", "code_block", "md"]

    /// Emulator-clock seconds as the milliseconds IM answers carry.
    static func milliseconds(_ time: Double) -> Int64 { Int64((time * 1000).rounded(.down)) }

    // MARK: errors

    /// 230001 with the detail after `ext=`, as the platform words it, and the field it is about.
    static func invalidParameter(_ detail: String, field: String = "content", value: String? = nil) -> APIError {
        APIError(code: 230001, msg: "Your request contains an invalid request parameter, ext=\(detail)",
                 fieldViolations: [.init(field: field, value: value, description: detail)])
    }

    /// 230099 with one of the documented sub-codes (200621 bad card JSON, 200570 bad image key, 200861 a tag schema 2.0
    /// no longer supports).
    static func cardError(_ subCode: Int, _ detail: String, path: String? = nil, value: String = "") -> APIError {
        let errorPath = path.map { "; ErrPath: \($0)" } ?? ""
        return APIError(code: 230099,
                        msg: "Failed to create card content, ext=ErrCode: \(subCode)\(errorPath); ErrMsg: \(detail); ErrorValue: \(value); ")
    }

    static func messageNotFound(_ id: String) -> APIError {
        .contact(99992354, "The message_id does not exist: \(id)", field: "message_id", value: id)
    }

    /// Counts for `/_emulator/state`.
    var summaryJSON: JSON {
        ["messages": .int(messages.count), "images": .int(images.count),
         "group_chats": .int(chats.values.filter { $0.p2pApp == nil }.count), "callbacks": .int(callbacks.count)]
    }
}
