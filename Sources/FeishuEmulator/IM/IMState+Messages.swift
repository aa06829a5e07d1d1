import Foundation

/// IM v1 (`feishu-api.md` §4): send, get and update messages; images are in `IMState+Images.swift`, card
/// callbacks in `IMState+Callbacks.swift`.
///
/// Choices where the doc is silent:
/// - the bot's availability range (可用范围) is the app's contact scope;
/// - a resigned receiver is 230029, an unknown open_id/union_id/user_id the generic 99992351/99992364/99992360
///   (another app's open_id 99992361), an unknown email 230034, an unknown chat 99992356;
/// - the size limits (150 KB text, 30 KB post and card) count the whole request body, as the doc words it;
/// - a card without `config.update_multi` is not shared, except schema 2.0 cards, which are shared unless they say
///   `false`; template cards are not shared (the emulator cannot see the template's config);
/// - PATCHing a non-card or a non-shared card is 230001, after 14 days 230031 (the PATCH page's table).
extension IMState {
    // MARK: send

    enum ReceiveIDType: String, CaseIterable {
        case openID = "open_id", unionID = "union_id", userID = "user_id", email, chatID = "chat_id"
    }

    /// Where a message goes: the chat, and for a single chat the user.
    struct Target {
        var chat: Chat
        var userKey: Int?
    }

    /// `POST /open-apis/im/v1/messages?receive_id_type=…` by `app`'s bot. `throttles` answers whether a per-target
    /// quota refuses the message (counted by the caller).
    mutating func createMessage(_ call: APICall, app: EmulatorConfiguration.App, org: inout Org, now: Double,
                                throttles: (AdminState.Quota) -> Bool) throws(APIError) -> JSON
    {
        let appID = app.appID
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
        if let uuid, let sent = uuids[appID + "|" + uuid], sent.expiresAt > now, let message = messages[sent.messageID] {
            return messageJSON(message, tenantKey: org.tenantKey)
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
        let target = try resolveReceiver(receiveType, receiveID, app: app, org: &org)
        let updateMulti = try validateContent(content, msgType: msgType, appID: appID, target: target, org: org)

        let quotaKey = target.userKey.map { "im user \(appID) \($0)" } ?? "im chat \(target.chat.id)"
        if throttles(AdminState.Quota(key: quotaKey, perSecond: Self.perTargetPerSecond, perMinute: .max)) {
            throw APIError(code: 230020, msg: "This operation triggers the frequency limit, ext=at most \(Self.perTargetPerSecond) "
                + "messages per second to one \(target.userKey == nil ? "chat" : "user")")
        }

        let time = Self.milliseconds(now)
        var id = "om_" + org.newHex(32)
        while messages[id] != nil { id = "om_" + org.newHex(32) }
        let message = Message(
            id: id, appID: appID, msgType: msgType, content: content, createTime: time, updateTime: time, chatID: target.chat.id,
            receiveIDType: receiveType.rawValue, receiveID: receiveID, recipientKey: target.userKey, uuid: uuid,
            updateMulti: updateMulti, sequence: takeSequence())
        messages[id] = message
        messageOrder.append(id)
        if let uuid {
            uuids[appID + "|" + uuid] = SentUUID(messageID: id, expiresAt: now + Self.uuidLifetime)
            purgeExpiredUUIDs(now: now)
        }
        return messageJSON(message, tenantKey: org.tenantKey)
    }

    private mutating func purgeExpiredUUIDs(now: Double) {
        createsSincePurge += 1
        guard createsSincePurge >= 1000 else { return }
        createsSincePurge = 0
        uuids = uuids.filter { $0.value.expiresAt > now }
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
    private mutating func resolveReceiver(_ type: ReceiveIDType, _ id: String, app: EmulatorConfiguration.App, org: inout Org)
        throws(APIError) -> Target
    {
        let appID = app.appID
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
            guard let chat = chats[id] else {
                throw .contact(99992356, "The chat_id does not exist: \(id)", field: "receive_id", value: id)
            }
            if chat.dissolved {
                throw APIError(code: 232009, msg: "Your request specifies a chat which has already been dissolved.")
            }
            if let owner = chat.p2pApp {
                guard owner == appID, let key = chat.members.first, let member = org.users[key] else {
                    throw APIError(code: 230002, msg: "The bot can not be outside the group.")
                }
                try Self.checkReachable(member, app: app, org: org)
                return Target(chat: chat, userKey: key)
            }
            guard chat.apps.contains(appID) else { throw APIError(code: 230002, msg: "The bot can not be outside the group.") }
            return Target(chat: chat, userKey: nil)
        }
        try Self.checkReachable(user, app: app, org: org)
        return Target(chat: p2pChat(appID: appID, userKey: user.key, org: &org), userKey: user.key)
    }

    private static func checkReachable(_ user: User, app: EmulatorConfiguration.App, org: Org) throws(APIError) {
        if user.status.isResigned { throw APIError(code: 230029, msg: "User has resigned.") }
        guard org.isVisible(user: user, in: org.scope(of: app)) else {
            throw APIError(code: 230013, msg: "Bot has NO availability to this user.")
        }
    }

    /// The bot's single chat with a user, made on first use.
    private mutating func p2pChat(appID: String, userKey: Int, org: inout Org) -> Chat {
        let key = "\(appID)|\(userKey)"
        if let id = p2pChats[key], let chat = chats[id] { return chat }
        var id = "oc_" + org.newHex(32)
        while chats[id] != nil { id = "oc_" + org.newHex(32) }
        let chat = Chat(id: id, name: "", members: [userKey], apps: [appID], p2pApp: appID, sequence: takeSequence())
        chats[id] = chat
        p2pChats[key] = id
        return chat
    }

    // MARK: update and read

    /// `PATCH /open-apis/im/v1/messages/:message_id` with `{"content": "<card JSON>"}`: the sender's own shared card,
    /// within 14 days, at most 5 updates per second.
    mutating func patchMessage(_ call: APICall, appID: String, now: Double, throttles: (AdminState.Quota) -> Bool)
        throws(APIError) -> JSON
    {
        let id = call.pathParameters["message_id"] ?? ""
        guard var message = messages[id] else { throw Self.messageNotFound(id) }
        guard message.appID == appID else {
            throw APIError(code: 230027, msg: "Lack of necessary permissions, ext=only the app that sent a card can update it")
        }
        guard message.msgType == "interactive" else {
            throw Self.invalidParameter("only cards (msg_type interactive) can be updated; \(id) is \(message.msgType)",
                                        field: "message_id", value: id)
        }
        guard Double(Self.milliseconds(now) - message.createTime) <= Self.cardUpdateWindow * 1000 else {
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
        if throttles(AdminState.Quota(key: "im update \(id)", perSecond: Self.perTargetPerSecond, perMinute: .max)) {
            throw APIError(code: 230020, msg: "This operation triggers the frequency limit, ext=at most 5 updates per second of one message")
        }
        Self.apply(content, to: &message, source: "patch", userKey: nil, now: now)
        messages[id] = message
        return [:]
    }

    static func apply(_ content: String, to message: inout Message, source: String, userKey: Int?, now: Double) {
        let time = Self.milliseconds(now)
        message.content = content
        message.updateTime = time
        if let shared = JSON.parse(content)?["config"]?["update_multi"]?.boolValue { message.updateMulti = shared }
        message.updates.append(Update(time: time, content: content, source: source, userKey: userKey))
    }

    /// `GET /open-apis/im/v1/messages/:message_id` → `data.items[Message]`, for a bot of the message's chat.
    func getMessage(_ call: APICall, appID: String, tenantKey: String) throws(APIError) -> JSON {
        _ = try call.idTypes()
        let id = call.pathParameters["message_id"] ?? ""
        guard let message = messages[id] else { throw Self.messageNotFound(id) }
        guard message.appID == appID || chats[message.chatID]?.apps.contains(appID) == true else {
            throw APIError(code: 230027, msg: "Lack of necessary permissions, ext=the bot is not in the message's chat")
        }
        return ["items": [messageJSON(message, tenantKey: tenantKey)]]
    }

    /// The Message object (`feishu-api.md` §4.1): times as millisecond strings, the app as sender. Rich text comes back
    /// flattened to one language (`{"title", "content"}`, zh_cn first), cards as sent.
    func messageJSON(_ message: Message, tenantKey: String) -> JSON {
        [
            "message_id": .string(message.id),
            "msg_type": .string(message.msgType),
            "create_time": .string(String(message.createTime)),
            "update_time": .string(String(message.updateTime)),
            "deleted": false,
            "updated": .bool(!message.updates.isEmpty),
            "chat_id": .string(message.chatID),
            "sender": ["id": .string(message.appID), "id_type": "app_id", "sender_type": "app", "tenant_key": .string(tenantKey)],
            "body": ["content": .string(Self.readableContent(message))],
        ]
    }

    static func readableContent(_ message: Message) -> String {
        guard message.msgType == "post", let object = JSON.parse(message.content)?.objectValue else { return message.content }
        let locales = object.filter { $0.value.objectValue?["content"] != nil }
        guard let chosen = locales["zh_cn"] ?? locales["en_us"] ?? locales.sorted(by: { $0.key < $1.key }).first?.value else {
            return message.content
        }
        return JSON.object(["title": chosen["title"] ?? "", "content": chosen["content"] ?? []]).serialized
    }
}
