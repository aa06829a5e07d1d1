import Foundation

/// The IM part of the operator's side door:
///
/// - `GET /_emulator/messages?app_id=&user=&open_id=&union_id=&user_id=&uuid=&chat_id=&msg_type=&offset=&limit=`:
///   messages in sending order with their current content and update history (`user` is any of the three user ids);
///   `GET /_emulator/messages/{message_id}` one of them.
/// - `GET|PUT|PATCH /_emulator/apps/{app_id}/callback` `{url, protocol, verification_token, encrypt_key}`: where an app's
///   card callbacks go and how they are signed (`null` clears a field; `protocol` is `card.action.trigger` or
///   `card.action.trigger_v1`).
/// - `POST /_emulator/click {message_id, user, value | button | action, timeout_ms, timestamp, nonce, signature}`: a user
///   presses a card button; answers what was sent, what the app answered (status, body, elapsed ms) and the message after.
/// - `GET /_emulator/callbacks?app_id=&message_id=&limit=` the last callbacks sent (oldest first), `DELETE` forgets them.
/// - `GET|POST /_emulator/chats {name, members, apps}` group chats, `DELETE /_emulator/chats/{chat_id}` dissolves one.
extension EmulatorState {
    /// The side door without HTTP, for in-process tests: `admin("GET", "/_emulator/messages", query: ["uuid": "u-1"])`.
    public func admin(_ method: String, _ path: String, query: [String: String] = [:], body: JSON? = nil) async
        -> (status: Int, json: JSON?)
    {
        let answer = await handleAdmin(method: method, path: path, query: query.mapValues { [$0] },
                                       body: body.map { Data($0.serialized.utf8) } ?? Data())
        if case .json(let json) = answer.body { return (answer.status, json) }
        return (answer.status, nil)
    }

    func handleIMAdmin(method: String, path: String, query: [String: [String]], json: JSON?) async -> EmulatorResponse? {
        let segments = path.split(separator: "/").map(String.init)  // ["_emulator", …]
        guard segments.count >= 2 else { return nil }
        func value(_ name: String) -> String? { query[name]?.last.flatMap { $0.isEmpty ? nil : $0 } }
        switch (method, Array(segments.dropFirst())) {
        case ("GET", ["messages"]):
            return listMessages(value)
        case ("GET", let parts) where parts.count == 2 && parts[0] == "messages":
            guard let message = im.messages[parts[1]] else { return adminError("message_id", "no message \(parts[1])") }
            return ok(adminMessageJSON(message))
        case ("POST", ["click"]):
            return await click(json)
        case ("GET", ["callbacks"]):
            var items = im.callbacks
            if let app = value("app_id") { items = items.filter { $0["app_id"]?.stringValue == app } }
            if let message = value("message_id") { items = items.filter { $0["message_id"]?.stringValue == message } }
            if let limit = value("limit").flatMap(Int.init), limit >= 0 { items = Array(items.suffix(limit)) }
            return ok(["items": .array(items)])
        case ("DELETE", ["callbacks"]):
            im.callbacks = []
            return ok([:])
        case ("GET", let parts) where parts.count == 3 && parts[0] == "apps" && parts[2] == "callback":
            guard let app = apps[parts[1]]?.config else { return adminError("app_id", "no app \(parts[1])") }
            return ok(callbackJSON(app))
        case ("PUT", let parts), ("PATCH", let parts), ("POST", let parts):
            if parts.count == 3 && parts[0] == "apps" && parts[2] == "callback" { return setCallback(appID: parts[1], json) }
            if parts == ["chats"] && method == "POST" { return createChat(json) }
            return nil
        case ("GET", ["chats"]):
            let chats = im.chats.values.filter { $0.p2pApp == nil }.sorted { $0.sequence < $1.sequence }
            return ok(["items": .array(chats.map(chatJSON))])
        case ("DELETE", let parts) where parts.count == 2 && parts[0] == "chats":
            guard var chat = im.chats[parts[1]], chat.p2pApp == nil else { return adminError("chat_id", "no group chat \(parts[1])") }
            chat.dissolved = true
            im.chats[chat.id] = chat
            return ok(chatJSON(chat))
        default:
            return nil
        }
    }

    // MARK: messages

    private func listMessages(_ value: (String) -> String?) -> EmulatorResponse {
        var receivers: Set<Int>?
        for name in ["user", "open_id", "union_id", "user_id"] {
            guard let id = value(name) else { continue }
            let keys = Set(userKeys(matching: id, as: name))
            receivers = receivers.map { $0.intersection(keys) } ?? keys
        }
        let app = value("app_id")
        let uuid = value("uuid")
        let chat = value("chat_id")
        let type = value("msg_type")
        let matching = im.messageOrder.compactMap { im.messages[$0] }.filter { message in
            (app == nil || message.appID == app) && (uuid == nil || message.uuid == uuid) && (chat == nil || message.chatID == chat)
                && (type == nil || message.msgType == type)
                && (receivers == nil || message.recipientKey.map { receivers?.contains($0) == true } == true)
        }
        let offset = max(0, value("offset").flatMap(Int.init) ?? 0)
        let limit = max(0, value("limit").flatMap(Int.init) ?? Int.max)
        let page = matching.dropFirst(offset).prefix(limit)
        return ok(["total": .int(matching.count), "items": .array(page.map(adminMessageJSON))])
    }

    /// Users with this id: an open_id of any app, a union_id or a user_id (`as` narrows it to one kind).
    private func userKeys(matching id: String, as kind: String) -> [Int] {
        var keys: [Int] = []
        if kind == "user" || kind == "open_id" {
            keys += apps.keys.compactMap { org.user(id: id, type: .openID, app: $0)?.key }
        }
        if kind == "user" || kind == "union_id", let user = org.user(id: id, type: .unionID, app: "") { keys.append(user.key) }
        if kind == "user" || kind == "user_id", let user = org.user(id: id, type: .userID, app: "") { keys.append(user.key) }
        return keys
    }

    private func userJSON(_ key: Int, app: String) -> JSON {
        guard let user = org.users[key] else { return .null }
        return ["open_id": .string(org.openID(of: key, app: app)), "union_id": .string(user.unionID), "user_id": .string(user.userID),
                "name": .string(user.name)]
    }

    /// A message as the operator sees it: the content as sent or last updated, the receiver with every id, the history.
    func adminMessageJSON(_ message: IMStore.Message) -> JSON {
        let chat = im.chats[message.chatID]
        return [
            "message_id": .string(message.id),
            "app_id": .string(message.appID),
            "msg_type": .string(message.msgType),
            "content": .string(message.content),
            "content_json": JSON.parse(message.content) ?? .null,
            "chat_id": .string(message.chatID),
            "chat_type": chat?.p2pApp == nil ? "group" : "p2p",
            "receive_id_type": .string(message.receiveIDType),
            "receive_id": .string(message.receiveID),
            "receiver": message.recipientKey.map { userJSON($0, app: message.appID) } ?? .null,
            "uuid": message.uuid.map(JSON.string) ?? .null,
            "update_multi": .bool(message.updateMulti),
            "create_time": .string(String(message.createTime)),
            "update_time": .string(String(message.updateTime)),
            "updated": .bool(!message.updates.isEmpty),
            "updates": .array(message.updates.map { update in
                var item: [String: JSON] = ["time": .string(String(update.time)), "source": .string(update.source),
                                            "content": .string(update.content)]
                if let key = update.userKey { item["user"] = userJSON(key, app: message.appID) }
                return .object(item)
            }),
        ]
    }

    // MARK: callback settings

    private func callbackJSON(_ app: EmulatorConfiguration.App) -> JSON {
        ["app_id": .string(app.appID), "url": app.cardCallbackURL.map(JSON.string) ?? .null,
         "protocol": .string(app.cardCallbackProtocol.rawValue),
         "verification_token": .string(app.verificationToken ?? Self.derivedVerificationToken(app)),
         "encrypt_key": app.encryptKey.map(JSON.string) ?? .null]
    }

    private func setCallback(appID: String, _ json: JSON?) -> EmulatorResponse {
        guard var record = apps[appID] else { return adminError("app_id", "no app \(appID)") }
        guard let fields = json?.objectValue else { return adminError("body", "a JSON object is required") }
        var config = record.config
        if let url = fields["url"] {
            if url.isNull {
                config.cardCallbackURL = nil
            } else {
                guard let text = url.stringValue, let parsed = URL(string: text), ["http", "https"].contains(parsed.scheme ?? ""),
                      parsed.host != nil
                else { return adminError("url", "an absolute http(s) URL, e.g. http://127.0.0.1:8080/feishu/card") }
                config.cardCallbackURL = text
            }
        }
        if let value = fields["protocol"] {
            guard let text = value.stringValue, let kind = EmulatorConfiguration.CardCallbackProtocol(rawValue: text) else {
                return adminError("protocol", "card.action.trigger (current) or card.action.trigger_v1 (old)")
            }
            config.cardCallbackProtocol = kind
        }
        if let value = fields["verification_token"] {
            guard value.isNull || value.stringValue?.isEmpty == false else { return adminError("verification_token", "a non-empty string or null") }
            config.verificationToken = value.stringValue
        }
        if let value = fields["encrypt_key"] {
            guard value.isNull || value.stringValue != nil else { return adminError("encrypt_key", "a string, or null for none") }
            config.encryptKey = value.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        }
        record.config = config
        apps[appID] = record
        return ok(callbackJSON(config))
    }

    // MARK: chats

    private func chatJSON(_ chat: IMStore.Chat) -> JSON {
        ["chat_id": .string(chat.id), "name": .string(chat.name), "dissolved": .bool(chat.dissolved),
         "apps": .array(chat.apps.sorted().map(JSON.string)),
         "members": .array(chat.members.sorted().compactMap { org.users[$0].map { JSON.string($0.userID) } })]
    }

    private func createChat(_ json: JSON?) -> EmulatorResponse {
        guard let fields = json?.objectValue else { return adminError("body", "a JSON object is required") }
        var members: Set<Int> = []
        for id in fields["members"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            guard let key = userKeys(matching: id, as: "user").first else { return adminError("members", "no user \(id)") }
            members.insert(key)
        }
        let chatApps = fields["apps"]?.arrayValue?.compactMap(\.stringValue) ?? apps.keys.sorted()
        if let unknown = chatApps.first(where: { apps[$0] == nil }) { return adminError("apps", "no app \(unknown)") }
        var id = "oc_" + org.newHex(32)
        while im.chats[id] != nil { id = "oc_" + org.newHex(32) }
        let chat = IMStore.Chat(id: id, name: fields["name"]?.stringValue ?? "", members: members, apps: Set(chatApps),
                                sequence: im.takeSequence())
        im.chats[id] = chat
        return ok(chatJSON(chat))
    }
}
