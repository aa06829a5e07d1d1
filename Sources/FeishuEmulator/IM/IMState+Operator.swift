import Foundation

/// IM as the operator sees it (`/_emulator/messages`, `/_emulator/chats`): messages with every id of the receiver and
/// their update history, and group chats.
extension IMState {
    // MARK: messages

    /// `GET /_emulator/messages`: messages in sending order, filtered by the query's `value`s, one page of them.
    func listMessages(_ value: (String) -> String?, appIDs: [String], org: Org) -> JSON {
        var receivers: Set<Int>?
        for name in ["user", "open_id", "union_id", "user_id"] {
            guard let id = value(name) else { continue }
            let keys = Set(Self.userKeys(matching: id, as: name, appIDs: appIDs, org: org))
            receivers = receivers.map { $0.intersection(keys) } ?? keys
        }
        let app = value("app_id")
        let uuid = value("uuid")
        let chat = value("chat_id")
        let type = value("msg_type")
        let matching = messageOrder.compactMap { messages[$0] }.filter { message in
            (app == nil || message.appID == app) && (uuid == nil || message.uuid == uuid) && (chat == nil || message.chatID == chat)
                && (type == nil || message.msgType == type)
                && (receivers == nil || message.recipientKey.map { receivers?.contains($0) == true } == true)
        }
        let offset = max(0, value("offset").flatMap(Int.init) ?? 0)
        let limit = max(0, value("limit").flatMap(Int.init) ?? Int.max)
        let page = matching.dropFirst(offset).prefix(limit)
        return ["total": .int(matching.count), "items": .array(page.map { adminMessageJSON($0, org: org) })]
    }

    /// Users with this id: an open_id of any app, a union_id or a user_id (`as` narrows it to one kind).
    static func userKeys(matching id: String, as kind: String, appIDs: [String], org: Org) -> [Int] {
        var keys: [Int] = []
        if kind == "user" || kind == "open_id" {
            keys += appIDs.compactMap { org.user(id: id, type: .openID, app: $0)?.key }
        }
        if kind == "user" || kind == "union_id", let user = org.user(id: id, type: .unionID, app: "") { keys.append(user.key) }
        if kind == "user" || kind == "user_id", let user = org.user(id: id, type: .userID, app: "") { keys.append(user.key) }
        return keys
    }

    private static func userJSON(_ key: Int, app: String, org: Org) -> JSON {
        guard let user = org.users[key] else { return .null }
        return ["open_id": .string(org.openID(of: key, app: app)), "union_id": .string(user.unionID), "user_id": .string(user.userID),
                "name": .string(user.name)]
    }

    /// A message as the operator sees it: the content as sent or last updated, the receiver with every id, the history.
    func adminMessageJSON(_ message: Message, org: Org) -> JSON {
        let chat = chats[message.chatID]
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
            "receiver": message.recipientKey.map { Self.userJSON($0, app: message.appID, org: org) } ?? .null,
            "uuid": message.uuid.map(JSON.string) ?? .null,
            "update_multi": .bool(message.updateMulti),
            "create_time": .string(String(message.createTime)),
            "update_time": .string(String(message.updateTime)),
            "updated": .bool(!message.updates.isEmpty),
            "updates": .array(message.updates.map { update in
                var item: [String: JSON] = ["time": .string(String(update.time)), "source": .string(update.source),
                                            "content": .string(update.content)]
                if let key = update.userKey { item["user"] = Self.userJSON(key, app: message.appID, org: org) }
                return .object(item)
            }),
        ]
    }

    // MARK: chats

    static func chatJSON(_ chat: Chat, org: Org) -> JSON {
        ["chat_id": .string(chat.id), "name": .string(chat.name), "dissolved": .bool(chat.dissolved),
         "apps": .array(chat.apps.sorted().map(JSON.string)),
         "members": .array(chat.members.sorted().compactMap { org.users[$0].map { JSON.string($0.userID) } })]
    }

    /// `POST /_emulator/chats {name, members, apps}`: a group chat of these users and bots (all apps by default).
    mutating func createChat(_ json: JSON?, appIDs: [String], org: inout Org) -> Result<JSON, AdminRefusal> {
        guard let fields = json?.objectValue else {
            return .failure(AdminRefusal(field: "body", message: "a JSON object is required"))
        }
        var members: Set<Int> = []
        for id in fields["members"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            guard let key = Self.userKeys(matching: id, as: "user", appIDs: appIDs, org: org).first else {
                return .failure(AdminRefusal(field: "members", message: "no user \(id)"))
            }
            members.insert(key)
        }
        let chatApps = fields["apps"]?.arrayValue?.compactMap(\.stringValue) ?? appIDs
        if let unknown = chatApps.first(where: { !appIDs.contains($0) }) {
            return .failure(AdminRefusal(field: "apps", message: "no app \(unknown)"))
        }
        var id = "oc_" + org.newHex(32)
        while chats[id] != nil { id = "oc_" + org.newHex(32) }
        let chat = Chat(id: id, name: fields["name"]?.stringValue ?? "", members: members, apps: Set(chatApps),
                        sequence: takeSequence())
        chats[id] = chat
        return .success(Self.chatJSON(chat, org: org))
    }
}
