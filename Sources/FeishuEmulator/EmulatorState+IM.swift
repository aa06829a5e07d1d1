import Foundation

/// What the IM part keeps: messages with their update history, chats, uploaded images, `uuid` answers and the card
/// callbacks sent. Mutated only inside ``EmulatorState``.
struct IMStore: Sendable {
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

    struct Image: Sendable {
        var key: String
        var appID: String
        var imageType: String
        var format: String
        var size: Int
    }

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
}

/// IM v1 (`feishu-api.md` §4): send, get and update messages; images are in `EmulatorState+IMImages.swift`, card
/// callbacks in `EmulatorState+IMCallbacks.swift`.
///
/// Choices where the doc is silent:
/// - the bot's availability range (可用范围) is the app's contact scope;
/// - a resigned receiver is 230029, an unknown open_id/union_id/user_id the generic 99992351/99992364/99992360
///   (another app's open_id 99992361), an unknown email 230034, an unknown chat 99992356;
/// - the size limits (150 KB text, 30 KB post and card) count the whole request body, as the doc words it;
/// - a card without `config.update_multi` is not shared, except schema 2.0 cards, which are shared unless they say
///   `false`; template cards are not shared (the emulator cannot see the template's config);
/// - PATCHing a non-card or a non-shared card is 230001, after 14 days 230031 (the PATCH page's table).
extension EmulatorState {
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

    var nowMilliseconds: Int64 { Int64((now * 1000).rounded(.down)) }

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

    // MARK: send

    enum ReceiveIDType: String, CaseIterable {
        case openID = "open_id", unionID = "union_id", userID = "user_id", email, chatID = "chat_id"
    }

    /// Where a message goes: the chat, and for a single chat the user.
    struct Target {
        var chat: IMStore.Chat
        var userKey: Int?
    }

    /// `POST /open-apis/im/v1/messages?receive_id_type=…`.
    func createMessage(_ call: APICall, appID: String) throws(APIError) -> JSON {
        guard let rawType = call.query("receive_id_type"), !rawType.isEmpty else {
            throw .validation("receive_id_type", nil, "receive_id_type is required: open_id, union_id, user_id, email or chat_id")
        }
        guard let receiveType = ReceiveIDType(rawValue: rawType) else {
            throw .validation("receive_id_type", rawType, "receive_id_type must be one of open_id, union_id, user_id, email, chat_id")
        }
        guard let body = call.json?.objectValue else { throw .validation("body", nil, "the body must be a JSON object") }
        let receiveID = try Self.requiredString(body, "receive_id")
        let msgType = try Self.requiredString(body, "msg_type")
        guard let contentValue = body["content"], !contentValue.isNull else {
            throw .validation("content", nil, "content is required")
        }
        guard case .string(let content) = contentValue else {
            throw .validation("content", nil, "content must be a JSON-encoded string (e.g. \"{\\\"text\\\":\\\"hi\\\"}\"), not a JSON value")
        }
        var uuid: String?
        if let value = body["uuid"], !value.isNull {
            guard case .string(let text) = value else { throw .validation("uuid", nil, "uuid must be a string") }
            guard text.count <= 50 else { throw .validation("uuid", text, "uuid is at most 50 characters") }
            uuid = text.isEmpty ? nil : text
        }

        // The same uuid within the hour: the message it created, not a second one.
        if let uuid, let sent = im.uuids[appID + "|" + uuid], sent.expiresAt > now, let message = im.messages[sent.messageID] {
            return messageJSON(message)
        }

        guard Self.messageTypes.contains(msgType) else {
            throw Self.invalidParameter("msg_type \(msgType) is not supported", field: "msg_type", value: msgType)
        }
        let limit: Int? = switch msgType {
        case "text": Self.textLimit
        case "post", "interactive": Self.richLimit
        default: nil
        }
        if let limit, call.body.count > limit {
            throw APIError(code: 230025, msg: "The length of the message content reaches its limit, ext=\(msgType) request body is "
                + "\(call.body.count) bytes, at most \(limit / 1024) KB")
        }
        let target = try resolveReceiver(receiveType, receiveID, appID: appID)
        let updateMulti = try validateContent(content, msgType: msgType, appID: appID, target: target)

        if rateLimitEnabled {
            let key = target.userKey.map { "im user \(appID) \($0)" } ?? "im chat \(target.chat.id)"
            if take([Quota(key: key, perSecond: Self.perTargetPerSecond, perMinute: .max)]) != nil {
                counters.rateLimited[call.endpoint.rawValue, default: 0] += 1
                throw APIError(code: 230020, msg: "This operation triggers the frequency limit, ext=at most \(Self.perTargetPerSecond) "
                    + "messages per second to one \(target.userKey == nil ? "chat" : "user")")
            }
        }

        let time = nowMilliseconds
        var id = "om_" + org.newHex(32)
        while im.messages[id] != nil { id = "om_" + org.newHex(32) }
        let message = IMStore.Message(
            id: id, appID: appID, msgType: msgType, content: content, createTime: time, updateTime: time, chatID: target.chat.id,
            receiveIDType: receiveType.rawValue, receiveID: receiveID, recipientKey: target.userKey, uuid: uuid,
            updateMulti: updateMulti, sequence: im.takeSequence())
        im.messages[id] = message
        im.messageOrder.append(id)
        if let uuid {
            im.uuids[appID + "|" + uuid] = IMStore.SentUUID(messageID: id, expiresAt: now + Self.uuidLifetime)
            purgeExpiredUUIDs()
        }
        return messageJSON(message)
    }

    private func purgeExpiredUUIDs() {
        im.createsSincePurge += 1
        guard im.createsSincePurge >= 1000 else { return }
        im.createsSincePurge = 0
        let time = now
        im.uuids = im.uuids.filter { $0.value.expiresAt > time }
    }

    static func requiredString(_ body: [String: JSON], _ field: String) throws(APIError) -> String {
        guard let value = body[field], !value.isNull else { throw .validation(field, nil, "\(field) is required") }
        guard case .string(let text) = value, !text.isEmpty else {
            throw .validation(field, value.stringValue, "\(field) must be a non-empty string")
        }
        return text
    }

    /// The receiver by id type: a user in the bot's availability range (their single chat with the bot), or a
    /// chat the bot is in.
    func resolveReceiver(_ type: ReceiveIDType, _ id: String, appID: String) throws(APIError) -> Target {
        let user: User
        switch type {
        case .openID, .unionID, .userID:
            let userType: IDTypes.UserIDType = switch type {
            case .openID: .openID
            case .unionID: .unionID
            default: .userID
            }
            guard let found = org.user(id: id, type: userType, app: appID) else {
                switch userType {
                case .openID where org.isOpenIDOfAnotherApp(id, app: appID):
                    throw .contact(99992361, "open_id cross app: \(id)", field: "receive_id", value: id)
                case .openID: throw .contact(99992351, "The open_id does not exist: \(id)", field: "receive_id", value: id)
                case .unionID: throw .contact(99992364, "The union_id does not exist: \(id)", field: "receive_id", value: id)
                case .userID: throw .contact(99992360, "The user_id does not exist: \(id)", field: "receive_id", value: id)
                }
            }
            user = found
        case .email:
            guard let found = org.user(email: id) else {
                throw .contact(230034, "The receive_id is invalid, ext=no user with the email \(id)", field: "receive_id", value: id)
            }
            user = found
        case .chatID:
            guard let chat = im.chats[id] else {
                throw .contact(99992356, "The chat_id does not exist: \(id)", field: "receive_id", value: id)
            }
            if chat.dissolved {
                throw APIError(code: 232009, msg: "Your request specifies a chat which has already been dissolved.")
            }
            if let owner = chat.p2pApp {
                guard owner == appID, let key = chat.members.first, let member = org.users[key] else {
                    throw APIError(code: 230002, msg: "The bot can not be outside the group.")
                }
                try checkReachable(member, appID: appID)
                return Target(chat: chat, userKey: key)
            }
            guard chat.apps.contains(appID) else { throw APIError(code: 230002, msg: "The bot can not be outside the group.") }
            return Target(chat: chat, userKey: nil)
        }
        try checkReachable(user, appID: appID)
        return Target(chat: p2pChat(appID: appID, userKey: user.key), userKey: user.key)
    }

    private func checkReachable(_ user: User, appID: String) throws(APIError) {
        if user.status.isResigned { throw APIError(code: 230029, msg: "User has resigned.") }
        guard isVisible(user: user, in: scope(of: appID)) else {
            throw APIError(code: 230013, msg: "Bot has NO availability to this user.")
        }
    }

    /// The bot's single chat with a user, made on first use.
    func p2pChat(appID: String, userKey: Int) -> IMStore.Chat {
        let key = "\(appID)|\(userKey)"
        if let id = im.p2pChats[key], let chat = im.chats[id] { return chat }
        var id = "oc_" + org.newHex(32)
        while im.chats[id] != nil { id = "oc_" + org.newHex(32) }
        let chat = IMStore.Chat(id: id, name: "", members: [userKey], apps: [appID], p2pApp: appID, sequence: im.takeSequence())
        im.chats[id] = chat
        im.p2pChats[key] = id
        return chat
    }

    // MARK: content

    /// Checks `content` for its `msg_type` (`feishu-api.md` §4.2, §4.3); answers whether a card is shared
    /// (`update_multi`).
    func validateContent(_ content: String, msgType: String, appID: String, target: Target) throws(APIError) -> Bool {
        if msgType == "interactive" { return try validateCard(content, appID: appID) }
        guard let object = JSON.parse(content)?.objectValue else {
            throw Self.invalidParameter("content is not a JSON object serialised as a string: \(content.prefix(80))")
        }
        switch msgType {
        case "text":
            guard case .string? = object["text"] else { throw Self.invalidParameter("text content needs a \"text\" string") }
        case "post":
            try validatePost(object, appID: appID)
        case "image":
            try checkImageKey(object["image_key"]?.stringValue, appID: appID, field: "image_key")
        case "file", "audio", "media", "sticker":
            guard let key = object["file_key"]?.stringValue, !key.isEmpty else {
                throw Self.invalidParameter("\(msgType) content needs a \"file_key\"")
            }
            throw Self.invalidParameter("file_key \(key) not found (the emulator has no file upload, im/v1/files)")
        case "share_chat":
            guard let id = object["chat_id"]?.stringValue, let chat = im.chats[id], !chat.dissolved else {
                throw Self.invalidParameter("share_chat content needs the \"chat_id\" of an existing chat")
            }
            if chat.p2pApp != nil { throw APIError(code: 230015, msg: "P2P chat can NOT be shared.") }
        case "share_user":
            guard let id = object["user_id"]?.stringValue, org.user(id: id, type: .openID, app: appID) != nil else {
                throw Self.invalidParameter("share_user content needs the \"user_id\" (an open_id of this app) of an existing user")
            }
        case "system":
            guard target.chat.p2pApp != nil else { throw Self.invalidParameter("system messages are for a bot's single chat only") }
            guard object["type"]?.stringValue != nil else { throw Self.invalidParameter("system content needs a \"type\"") }
        default:
            break
        }
        return false
    }

    /// Rich text: language keys (`zh_cn`, `en_us`, …) each with an optional `title` and `content`, a list of paragraphs,
    /// each a list of elements with a known `tag`; `img` needs an image this app uploaded.
    private func validatePost(_ object: [String: JSON], appID: String) throws(APIError) {
        let locales = object.filter { $0.value.objectValue?["content"] != nil }.sorted { $0.key < $1.key }
        guard !locales.isEmpty else {
            throw Self.invalidParameter("post content needs a language key (zh_cn, en_us, …) holding title and content; "
                + "there is no \"post\" wrapper in im/v1")
        }
        for (locale, value) in locales {
            if let title = value["title"], !title.isNull, title.stringValue == nil {
                throw Self.invalidParameter("\(locale).title must be a string")
            }
            guard let paragraphs = value["content"]?.arrayValue else {
                throw Self.invalidParameter("\(locale).content must be a list of paragraphs")
            }
            for (row, paragraph) in paragraphs.enumerated() {
                guard let elements = paragraph.arrayValue else {
                    throw Self.invalidParameter("\(locale).content[\(row)] must be a list of elements")
                }
                for (column, element) in elements.enumerated() {
                    let place = "\(locale).content[\(row)][\(column)]"
                    guard let tag = element["tag"]?.stringValue else { throw Self.invalidParameter("\(place) needs a tag") }
                    guard Self.postTags.contains(tag) else { throw Self.invalidParameter("\(place): unknown tag \(tag)") }
                    func require(_ field: String) throws(APIError) {
                        guard element[field]?.stringValue != nil else {
                            throw Self.invalidParameter("\(place): a \(tag) element needs \"\(field)\"")
                        }
                    }
                    switch tag {
                    case "text", "md", "code_block": try require("text")
                    case "a": try require("text"); try require("href")
                    case "at": try require("user_id")
                    case "emotion": try require("emoji_type")
                    case "img": try checkImageKey(element["image_key"]?.stringValue, appID: appID, field: "\(place).image_key")
                    case "media":
                        throw Self.invalidParameter("\(place): media needs a file_key, and the emulator has no file upload")
                    default: break
                    }
                }
            }
        }
    }

    /// An image key this app uploaded: unknown → 230001, another app's → 230017.
    func checkImageKey(_ key: String?, appID: String, field: String) throws(APIError) {
        guard let key, !key.isEmpty else { throw Self.invalidParameter("\(field) is required") }
        guard let image = im.images[key] else { throw Self.invalidParameter("image_key \(key) not found", field: field, value: key) }
        guard image.appID == appID else { throw APIError(code: 230017, msg: "Bot is NOT the owner of the resource.") }
    }

    /// A card (`feishu-api.md` §4.3): full JSON v1 (`elements` / `i18n_elements` / `header`) or 2.0 (`schema`, `body.elements`),
    /// or a template reference. Every element is an object with a `tag`; 2.0 refuses the v1-only `action` and `note`;
    /// every `img_key` must be an image this app uploaded. Answers whether the card is shared.
    func validateCard(_ content: String, appID: String) throws(APIError) -> Bool {
        guard let card = JSON.parse(content)?.objectValue else {
            throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                 value: String(content.prefix(80)))
        }
        if let type = card["type"]?.stringValue, type == "template" || type == "card" {
            guard let data = card["data"]?.objectValue else {
                throw Self.cardError(200621, "parse card json err, please check whether the card json is correct", value: "data")
            }
            if type == "card" {
                throw Self.invalidParameter("card entities (CardKit card_id) are not emulated; send the card JSON instead")
            }
            guard let template = data["template_id"]?.stringValue, !template.isEmpty else {
                throw Self.cardError(200621, "parse card json err, please check whether the card json is correct", value: "template_id")
            }
            return false
        }
        if let config = card["config"], config.objectValue == nil {
            throw Self.cardError(200621, "parse card json err, please check whether the card json is correct", value: "config")
        }
        let isV2 = card["schema"]?.stringValue == "2.0"
        if isV2 {
            guard let body = card["body"]?.objectValue, let elements = body["elements"]?.arrayValue else {
                throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                     path: "ROOT -> body -> elements", value: "a schema 2.0 card needs body.elements")
            }
            try checkElements(elements, path: "ROOT -> body -> elements", v2: true)
        } else {
            guard card["elements"] != nil || card["i18n_elements"] != nil || card["header"] != nil else {
                throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                     value: "a card needs elements, i18n_elements or header")
            }
            if let elements = card["elements"] {
                guard let list = elements.arrayValue else {
                    throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                         path: "ROOT -> elements", value: "elements must be a list")
                }
                try checkElements(list, path: "ROOT -> elements", v2: false)
            }
            if let i18n = card["i18n_elements"] {
                guard let locales = i18n.objectValue else {
                    throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                         path: "ROOT -> i18n_elements", value: "i18n_elements must be an object")
                }
                for (locale, value) in locales.sorted(by: { $0.key < $1.key }) {
                    guard let list = value.arrayValue else {
                        throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                             path: "ROOT -> i18n_elements -> \(locale)", value: "must be a list")
                    }
                    try checkElements(list, path: "ROOT -> i18n_elements -> \(locale)", v2: false)
                }
            }
        }
        try checkCardImages(.object(card), appID: appID)
        return card["config"]?["update_multi"]?.boolValue ?? isV2
    }

    private func checkElements(_ elements: [JSON], path: String, v2: Bool) throws(APIError) {
        for (index, element) in elements.enumerated() {
            guard let object = element.objectValue, let tag = object["tag"]?.stringValue else {
                throw Self.cardError(200621, "parse card json err, please check whether the card json is correct",
                                     path: "\(path) -> [\(index)]", value: "an element needs a tag")
            }
            if v2 && (tag == "action" || tag == "note") {
                throw Self.cardError(200861, "cards of schema V2 no longer support this capability",
                                     path: "\(path) -> [\(index)](tag: \(tag))", value: "unsupported tag \(tag)")
            }
            for (key, value) in object.sorted(by: { $0.key < $1.key }) where key == "elements" || key == "columns" {
                if let nested = value.arrayValue { try checkElements(nested, path: "\(path) -> [\(index)](tag: \(tag)) -> \(key)", v2: v2) }
            }
        }
    }

    private func checkCardImages(_ value: JSON, appID: String) throws(APIError) {
        switch value {
        case .object(let fields):
            for (key, item) in fields.sorted(by: { $0.key < $1.key }) {
                if key == "img_key", let imageKey = item.stringValue {
                    guard let image = im.images[imageKey], image.appID == appID else {
                        throw Self.cardError(200570, "card contains invalid image keys", value: "image key \(imageKey)")
                    }
                } else {
                    try checkCardImages(item, appID: appID)
                }
            }
        case .array(let items):
            for item in items { try checkCardImages(item, appID: appID) }
        default:
            break
        }
    }

    // MARK: update and read

    /// `PATCH /open-apis/im/v1/messages/:message_id` with `{"content": "<card JSON>"}`: the sender's own shared card,
    /// within 14 days, at most 5 updates per second.
    func patchMessage(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let id = call.pathParameters["message_id"] ?? ""
        guard var message = im.messages[id] else { throw Self.messageNotFound(id) }
        guard message.appID == appID else {
            throw APIError(code: 230027, msg: "Lack of necessary permissions, ext=only the app that sent a card can update it")
        }
        guard message.msgType == "interactive" else {
            throw Self.invalidParameter("only cards (msg_type interactive) can be updated; \(id) is \(message.msgType)",
                                        field: "message_id", value: id)
        }
        guard Double(nowMilliseconds - message.createTime) <= Self.cardUpdateWindow * 1000 else {
            throw APIError(code: 230031, msg: "Message can only be modified within 14 days after sending.")
        }
        guard let body = call.json?.objectValue else { throw .validation("body", nil, "the body must be a JSON object") }
        guard let value = body["content"], !value.isNull else { throw .validation("content", nil, "content is required") }
        guard case .string(let content) = value else {
            throw .validation("content", nil, "content must be the card JSON serialised as a string")
        }
        if call.body.count > Self.richLimit {
            throw APIError(code: 230025, msg: "The length of the message content reaches its limit, ext=a card is at most 30 KB")
        }
        let shared = try validateCard(content, appID: appID)
        guard message.updateMulti && shared else {
            throw Self.invalidParameter("only shared cards can be updated: config.update_multi must be true in the card as sent "
                + "(\(message.updateMulti)) and in the new one (\(shared))")
        }
        if rateLimitEnabled, take([Quota(key: "im update \(id)", perSecond: Self.perTargetPerSecond, perMinute: .max)]) != nil {
            counters.rateLimited[call.endpoint.rawValue, default: 0] += 1
            throw APIError(code: 230020, msg: "This operation triggers the frequency limit, ext=at most 5 updates per second of one message")
        }
        apply(content, to: &message, source: "patch", userKey: nil)
        im.messages[id] = message
        return [:]
    }

    func apply(_ content: String, to message: inout IMStore.Message, source: String, userKey: Int?) {
        let time = nowMilliseconds
        message.content = content
        message.updateTime = time
        if let shared = JSON.parse(content)?["config"]?["update_multi"]?.boolValue { message.updateMulti = shared }
        message.updates.append(IMStore.Update(time: time, content: content, source: source, userKey: userKey))
    }

    /// `GET /open-apis/im/v1/messages/:message_id` → `data.items[Message]`, for a bot of the message's chat.
    func getMessage(_ call: APICall, appID: String) throws(APIError) -> JSON {
        _ = try idTypes(call)
        let id = call.pathParameters["message_id"] ?? ""
        guard let message = im.messages[id] else { throw Self.messageNotFound(id) }
        guard message.appID == appID || im.chats[message.chatID]?.apps.contains(appID) == true else {
            throw APIError(code: 230027, msg: "Lack of necessary permissions, ext=the bot is not in the message's chat")
        }
        return ["items": [messageJSON(message)]]
    }

    /// The Message object (`feishu-api.md` §4.1): times as millisecond strings, the app as sender. Rich text comes back
    /// flattened to one language (`{"title", "content"}`, zh_cn first), cards as sent.
    func messageJSON(_ message: IMStore.Message) -> JSON {
        [
            "message_id": .string(message.id),
            "msg_type": .string(message.msgType),
            "create_time": .string(String(message.createTime)),
            "update_time": .string(String(message.updateTime)),
            "deleted": false,
            "updated": .bool(!message.updates.isEmpty),
            "chat_id": .string(message.chatID),
            "sender": ["id": .string(message.appID), "id_type": "app_id", "sender_type": "app", "tenant_key": .string(org.tenantKey)],
            "body": ["content": .string(Self.readableContent(message))],
        ]
    }

    static func readableContent(_ message: IMStore.Message) -> String {
        guard message.msgType == "post", let object = JSON.parse(message.content)?.objectValue else { return message.content }
        let locales = object.filter { $0.value.objectValue?["content"] != nil }
        guard let chosen = locales["zh_cn"] ?? locales["en_us"] ?? locales.sorted(by: { $0.key < $1.key }).first?.value else {
            return message.content
        }
        return JSON.object(["title": chosen["title"] ?? "", "content": chosen["content"] ?? []]).serialized
    }
}
