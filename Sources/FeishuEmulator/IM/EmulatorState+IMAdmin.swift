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
            return .ok(im.listMessages(value, appIDs: admin.apps.keys.sorted(), org: contact.org))
        case ("GET", let parts) where parts.count == 2 && parts[0] == "messages":
            guard let message = im.messages[parts[1]] else { return .adminError("message_id", "no message \(parts[1])") }
            return .ok(im.adminMessageJSON(message, org: contact.org))
        case ("POST", ["click"]):
            return await click(json)
        case ("GET", ["callbacks"]):
            var items = im.callbacks
            if let app = value("app_id") { items = items.filter { $0["app_id"]?.stringValue == app } }
            if let message = value("message_id") { items = items.filter { $0["message_id"]?.stringValue == message } }
            if let limit = value("limit").flatMap(Int.init), limit >= 0 { items = Array(items.suffix(limit)) }
            return .ok(["items": .array(items)])
        case ("DELETE", ["callbacks"]):
            im.callbacks = []
            return .ok([:])
        case ("GET", let parts) where parts.count == 3 && parts[0] == "apps" && parts[2] == "callback":
            guard let app = admin.apps[parts[1]]?.config else { return .adminError("app_id", "no app \(parts[1])") }
            return .ok(callbackJSON(app))
        case ("PUT", let parts), ("PATCH", let parts), ("POST", let parts):
            if parts.count == 3 && parts[0] == "apps" && parts[2] == "callback" { return setCallback(appID: parts[1], json) }
            if parts == ["chats"] && method == "POST" {
                switch im.createChat(json, appIDs: admin.apps.keys.sorted(), org: &contact.org) {
                case .success(let chat): return .ok(chat)
                case .failure(let refusal): return .adminError(refusal)
                }
            }
            return nil
        case ("GET", ["chats"]):
            let chats = im.chats.values.filter { $0.p2pApp == nil }.sorted { $0.sequence < $1.sequence }
            return .ok(["items": .array(chats.map { IMState.chatJSON($0, org: contact.org) })])
        case ("DELETE", let parts) where parts.count == 2 && parts[0] == "chats":
            guard var chat = im.chats[parts[1]], chat.p2pApp == nil else {
                return .adminError("chat_id", "no group chat \(parts[1])")
            }
            chat.dissolved = true
            im.chats[chat.id] = chat
            return .ok(IMState.chatJSON(chat, org: contact.org))
        default:
            return nil
        }
    }


    // MARK: callback settings

    private func callbackJSON(_ app: EmulatorConfiguration.App) -> JSON {
        ["app_id": .string(app.appID), "url": app.cardCallbackURL.map(JSON.string) ?? .null,
         "protocol": .string(app.cardCallbackProtocol.rawValue),
         "verification_token": .string(app.verificationToken ?? IMState.derivedVerificationToken(app)),
         "encrypt_key": app.encryptKey.map(JSON.string) ?? .null]
    }

    private func setCallback(appID: String, _ json: JSON?) -> EmulatorResponse {
        guard var record = admin.apps[appID] else { return .adminError("app_id", "no app \(appID)") }
        guard let fields = json?.objectValue else { return .adminError("body", "a JSON object is required") }
        var config = record.config
        if let url = fields["url"] {
            if url.isNull {
                config.cardCallbackURL = nil
            } else {
                guard let text = url.stringValue, let parsed = URL(string: text), ["http", "https"].contains(parsed.scheme ?? ""),
                      parsed.host != nil
                else { return .adminError("url", "an absolute http(s) URL, e.g. http://127.0.0.1:8080/feishu/card") }
                config.cardCallbackURL = text
            }
        }
        if let value = fields["protocol"] {
            guard let text = value.stringValue, let kind = EmulatorConfiguration.CardCallbackProtocol(rawValue: text) else {
                return .adminError("protocol", "card.action.trigger (current) or card.action.trigger_v1 (old)")
            }
            config.cardCallbackProtocol = kind
        }
        if let value = fields["verification_token"] {
            guard value.isNull || value.stringValue?.isEmpty == false else { return .adminError("verification_token", "a non-empty string or null") }
            config.verificationToken = value.stringValue
        }
        if let value = fields["encrypt_key"] {
            guard value.isNull || value.stringValue != nil else { return .adminError("encrypt_key", "a string, or null for none") }
            config.encryptKey = value.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        }
        record.config = config
        admin.apps[appID] = record
        return .ok(callbackJSON(config))
    }


    // MARK: clicks

    /// `POST /_emulator/click {message_id, user, action | value | button, …}`: plans the callback inside the actor, sends
    /// it outside (other calls go on meanwhile), then applies the answer.
    func click(_ json: JSON?) async -> EmulatorResponse {
        let planned: PlannedCallback
        switch im.planClick(json, app: { admin.apps[$0]?.config }, org: &contact.org, longConnected: { longConnections.isConnected($0) }) {
        case .success(let plan): planned = plan
        case .failure(let refusal): return .adminError(refusal)
        }
        let outcome: CallbackOutcome
        if planned.viaLongConnection {
            // Callbacks are never pushed again; the ack's `data` is the answer (`feishu-longconn.md` §6).
            let started = ContinuousClock.now
            let ack = await longConnections.push(appID: planned.appID, envelope: planned.body, deadline: planned.timeout)
            outcome = CallbackOutcome(status: ack.map { $0.code == 200 ? 200 : $0.code }, contentType: "application/json",
                                      body: ack?.data ?? Data("{}".utf8), error: ack == nil ? "no ack over the long connection" : nil,
                                      elapsed: ContinuousClock.now - started)
        } else {
            outcome = await IMState.send(planned)
        }
        return .ok(im.finishClick(planned, outcome, org: contact.org, now: admin.now))
    }
}
