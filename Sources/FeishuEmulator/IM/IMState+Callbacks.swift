import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// One card callback about to be sent: where, what, and what it is about.
struct PlannedCallback: Sendable {
    var url: String
    var headers: [(String, String)]
    var body: Data
    var plaintext: JSON
    var protocolName: String
    var eventID: String?
    var appID: String
    var messageID: String
    var userKey: Int
    var timeout: Duration
    /// Sent over the app's long connection (plaintext, the ack is the answer) instead of its callback URL.
    var viaLongConnection = false
}

/// What the app's server answered (or why it did not).
struct CallbackOutcome: Sendable {
    var status: Int?
    var contentType: String?
    var body: Data
    var error: String?
    var elapsed: Duration

    /// POSTs a callback (a card's or an approval's) to the app's server, bounded by `timeout`.
    static func post(to url: String, headers: [(String, String)], body: Data, timeout: Duration) async -> CallbackOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let clock = ContinuousClock()
        let start = clock.now
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(nanoseconds))
            let bytes = try await response.body.collect(upTo: 4 * 1024 * 1024)
            return CallbackOutcome(status: Int(response.status.code), contentType: response.headers.first(name: "content-type"),
                                   body: Data(bytes.readableBytesView), error: nil, elapsed: clock.now - start)
        } catch {
            return CallbackOutcome(status: nil, contentType: nil, body: Data(), error: "\(error)", elapsed: clock.now - start)
        }
    }
}

/// Card callbacks: `POST /_emulator/click` sends what Feishu sends when a user presses a card button
/// (`feishu-api.md` §6.8 `card.action.trigger`, or §6.9 for apps on the old protocol) to the app's callback URL, then
/// applies the answer's card like the client does.
///
/// The signature timestamp is the wall clock (not the emulator's clock, which tests move by days): the receiving server
/// compares it with its own clock. A click may override `timestamp`, `nonce` and `signature` to test refusals.
extension IMState {
    /// Card callbacks are not retried; an answer later than 3 s is an error on the user's screen.
    static let callbackDeadline = Duration.seconds(3)
    static let keptCallbacks = 200

    /// The Verification Token the platform would have generated: stable per app id and secret.
    static func derivedVerificationToken(_ app: EmulatorConfiguration.App) -> String {
        "v" + CallbackCrypto.hex(SHA256.hash(data: Data("verification token|\(app.appID)|\(app.appSecret)".utf8)).prefix(15))
    }

    /// The callback a click (`POST /_emulator/click {message_id, user, action | value | button, …}`) sends: to the
    /// callback URL of the message's app (`app` looks apps up), signed and encrypted as that app is set up.
    mutating func planClick(_ json: JSON?, app appConfig: (String) -> EmulatorConfiguration.App?, org: inout Org,
                            longConnected: (String) -> Bool = { _ in false }) -> Result<PlannedCallback, AdminRefusal>
    {
        func refuse(_ field: String, _ message: String) -> Result<PlannedCallback, AdminRefusal> {
            .failure(AdminRefusal(field: field, message: message))
        }
        guard let fields = json?.objectValue else { return refuse("body", "a JSON object is required") }
        guard let messageID = fields["message_id"]?.stringValue, let message = messages[messageID] else {
            return refuse("message_id", "the id of a message the emulator holds is required")
        }
        guard message.msgType == "interactive" else { return refuse("message_id", "\(messageID) is a \(message.msgType) message, not a card") }
        guard let app = appConfig(message.appID) else { return refuse("message_id", "the message's app is gone") }
        // An app with a long connection open gets its callbacks there (`feishu-longconn.md` §6), in the current protocol.
        let viaLongConnection = longConnected(app.appID)
        guard let url = viaLongConnection ? "" : app.cardCallbackURL, viaLongConnection || !url.isEmpty else {
            return refuse("message_id", "app \(app.appID) has no card callback URL: PUT /_emulator/apps/\(app.appID)/callback {\"url\": …}")
        }
        guard let chat = chats[message.chatID] else { return refuse("message_id", "the message's chat is gone") }

        // The user who clicks: by open_id (of the message's app), union_id or user_id; a single chat's user by default.
        let userKey: Int
        if let id = fields["user"]?.stringValue ?? fields["open_id"]?.stringValue ?? fields["union_id"]?.stringValue {
            guard let user = org.user(id: id, type: .openID, app: app.appID) ?? org.user(id: id, type: .unionID, app: app.appID)
                ?? org.user(id: id, type: .userID, app: app.appID)
            else { return refuse("user", "no user with the open_id, union_id or user_id \(id)") }
            userKey = user.key
        } else if let recipient = message.recipientKey {
            userKey = recipient
        } else {
            return refuse("user", "a group card needs the user who clicks (open_id, union_id or user_id)")
        }
        guard chat.members.contains(userKey), let user = org.users[userKey] else {
            return refuse("user", "that user did not receive \(messageID)")
        }

        // The action: as given, or a button of the card (by its text, else the first with a value).
        var action = fields["action"]?.objectValue ?? [:]
        if action["value"] == nil, let value = fields["value"] { action["value"] = value }
        if action["value"] == nil {
            let buttons = Self.callbackButtons(in: JSON.parse(message.content) ?? .null)
            let wanted = fields["button"]?.stringValue
            guard let button = buttons.first(where: { wanted == nil || $0.text == wanted }) else {
                return refuse(wanted == nil ? "value" : "button",
                              wanted.map { "the card has no button with the text \($0)" } ?? "the card has no button with a value: give value")
            }
            action["value"] = button.value
        }
        if action["tag"] == nil { action["tag"] = "button" }

        let tenantKey = JSON.string(org.tenantKey)
        let openID = org.openID(of: userKey, app: app.appID)
        let withheldUserID = app.withheldFields.contains("user_id")
        let token = "c-" + org.newHex(40)
        let timestamp = fields["timestamp"]?.stringValue ?? String(Int(Date().timeIntervalSince1970))
        let nonce = fields["nonce"]?.stringValue ?? org.newHex(16)
        let verification = app.verificationToken ?? Self.derivedVerificationToken(app)
        var eventID: String?
        let plaintext: JSON
        switch viaLongConnection ? .v2 : app.cardCallbackProtocol {
        case .v2:
            let id = org.newHex(32)
            eventID = id
            var operatorFields: [String: JSON] = ["tenant_key": tenantKey, "open_id": .string(openID), "union_id": .string(user.unionID)]
            if !withheldUserID { operatorFields["user_id"] = .string(user.userID) }
            plaintext = [
                "schema": "2.0",
                "header": ["event_id": .string(id), "event_type": "card.action.trigger",
                           "create_time": .string(String(Int64(Date().timeIntervalSince1970 * 1000))),
                           "token": .string(verification), "app_id": .string(app.appID), "tenant_key": tenantKey],
                "event": ["operator": .object(operatorFields), "token": .string(token), "action": .object(action),
                          "host": "im_message",
                          "context": ["open_message_id": .string(messageID), "open_chat_id": .string(chat.id)]],
            ]
        case .v1:
            var flat: [String: JSON] = ["open_id": .string(openID), "open_message_id": .string(messageID),
                                        "open_chat_id": .string(chat.id), "tenant_key": tenantKey, "token": .string(token),
                                        "action": .object(action)]
            if !withheldUserID { flat["user_id"] = .string(user.userID) }
            plaintext = .object(flat)
        }

        let plainBytes = Data(plaintext.serialized.utf8)
        var body = plainBytes
        if let key = app.encryptKey, !key.isEmpty, !viaLongConnection {
            do {
                body = Data(JSON.object(["encrypt": .string(try CallbackCrypto.encrypt(plainBytes, encryptKey: key))]).serialized.utf8)
            } catch {
                return refuse("encrypt_key", "cannot encrypt: \(error)")
            }
        }
        var headers: [(String, String)] = [("Content-Type", "application/json; charset=utf-8"),
                                           ("User-Agent", "Feishu-Emulator-Callback/1.0"), ("X-Request-Id", org.newHex(32))]
        let signature: String? = switch app.cardCallbackProtocol {
        case .v2: app.encryptKey.flatMap { $0.isEmpty ? nil : CallbackCrypto.signature(timestamp: timestamp, nonce: nonce, encryptKey: $0, body: body) }
        case .v1: CallbackCrypto.cardV1Signature(timestamp: timestamp, nonce: nonce, verificationToken: verification, body: body)
        }
        if let signature, !viaLongConnection {
            headers += [("X-Lark-Request-Timestamp", timestamp), ("X-Lark-Request-Nonce", nonce),
                        ("X-Lark-Signature", fields["signature"]?.stringValue ?? signature)]
        }
        var timeout = Self.callbackDeadline
        if let milliseconds = fields["timeout_ms"]?.intValue, milliseconds > 0 { timeout = .milliseconds(milliseconds) }
        return .success(PlannedCallback(url: url, headers: headers, body: body, plaintext: plaintext,
                                        protocolName: viaLongConnection ? "card.action.trigger" : app.cardCallbackProtocol.rawValue, eventID: eventID, appID: app.appID,
                                        messageID: messageID, userKey: userKey, timeout: timeout, viaLongConnection: viaLongConnection))
    }

    /// Buttons that call back: v1 `value`, or a 2.0 `behaviors` entry of type `callback`; with their text.
    static func callbackButtons(in card: JSON) -> [(text: String?, value: JSON)] {
        var found: [(text: String?, value: JSON)] = []
        func walk(_ node: JSON) {
            switch node {
            case .object(let fields):
                if fields["tag"]?.stringValue == "button" {
                    let text = fields["text"]?["content"]?.stringValue
                    if let value = fields["value"], value.objectValue != nil {
                        found.append((text, value))
                    } else if let callback = fields["behaviors"]?.arrayValue?.first(where: { $0["type"]?.stringValue == "callback" }),
                              let value = callback["value"]
                    {
                        found.append((text, value))
                    }
                }
                for key in fields.keys.sorted() { if let child = fields[key] { walk(child) } }
            case .array(let items):
                items.forEach(walk)
            default:
                break
            }
        }
        walk(card)
        return found
    }

    /// POSTs the callback outside the actor (other calls go on meanwhile), bounded by the deadline.
    static func send(_ plan: PlannedCallback) async -> CallbackOutcome {
        await CallbackOutcome.post(to: plan.url, headers: plan.headers, body: plan.body, timeout: plan.timeout)
    }

    /// Records the exchange and applies the answer like the client: a `card` replaces the message's card (raw JSON or a
    /// template), a `toast` is shown (recorded). Non-200, no answer or one later than the deadline changes nothing.
    mutating func finishClick(_ plan: PlannedCallback, _ outcome: CallbackOutcome, org: Org, now: Double) -> JSON {
        let elapsedMs = Int(outcome.elapsed.components.seconds * 1000 + outcome.elapsed.components.attoseconds / 1_000_000_000_000_000)
        var problem = outcome.error
        if problem == nil, outcome.elapsed > Self.callbackDeadline { problem = "answered after \(elapsedMs) ms (the limit is 3 s)" }
        if problem == nil, let status = outcome.status, status != 200 { problem = "HTTP \(status)" }
        let answer = JSON.parse(outcome.body)
        var toast: JSON = .null
        var cardUpdated = false
        if problem == nil, let fields = answer?.objectValue {
            toast = fields["toast"] ?? .null
            let newCard: String? = Self.cardOfAnswer(fields)
            if let newCard, var message = messages[plan.messageID] {
                do throws(APIError) {
                    if newCard.utf8.count > Self.richLimit { throw APIError(code: 230025, msg: "the answer's card is over 30 KB") }
                    _ = try validateCard(newCard, appID: plan.appID)
                    Self.apply(newCard, to: &message, source: "callback", userKey: plan.userKey, now: now)
                    messages[plan.messageID] = message
                    cardUpdated = true
                } catch {
                    problem = "the answer's card was refused: \(error.code) \(error.msg)"
                }
            }
        } else if problem == nil, !outcome.body.isEmpty, answer == nil {
            problem = "the answer is not JSON"
        }
        var response: [String: JSON] = [
            "status": outcome.status.map(JSON.int) ?? .null,
            "body": .string(String(decoding: outcome.body, as: UTF8.self)),
            "elapsed_ms": .int(elapsedMs),
        ]
        if let type = outcome.contentType { response["content_type"] = .string(type) }
        if let error = outcome.error { response["error"] = .string(error) }
        let user = org.users[plan.userKey]
        var record: [String: JSON] = [
            "sent_at": .string(String(Int64(Date().timeIntervalSince1970 * 1000))),
            "app_id": .string(plan.appID),
            "message_id": .string(plan.messageID),
            "protocol": .string(plan.protocolName),
            "url": .string(plan.url),
            "user": ["open_id": .string(org.openID(of: plan.userKey, app: plan.appID)), "union_id": .string(user?.unionID ?? ""),
                     "user_id": .string(user?.userID ?? ""), "name": .string(user?.name ?? "")],
            "request": ["headers": .object(Dictionary(plan.headers.map { ($0.0, JSON.string($0.1)) }, uniquingKeysWith: { $1 })),
                        "body": .string(String(decoding: plan.body, as: UTF8.self)), "plaintext": plan.plaintext],
            "response": .object(response),
            "ok": .bool(problem == nil),
            "toast": toast,
            "card_updated": .bool(cardUpdated),
        ]
        if let eventID = plan.eventID { record["event_id"] = .string(eventID) }
        if let problem { record["problem"] = .string(problem) }
        callbacks.append(.object(record))
        if callbacks.count > Self.keptCallbacks { callbacks.removeFirst(callbacks.count - Self.keptCallbacks) }
        var result = record
        if let message = messages[plan.messageID] { result["message"] = adminMessageJSON(message, org: org) }
        return .object(result)
    }

    /// The card an answer asks for: `{"card": {"type": "raw", "data": {…}}}` or `{"type": "template", "data": {…}}`
    /// (new protocol), or a whole card JSON as the body (old protocol). `nil` = keep the card.
    static func cardOfAnswer(_ fields: [String: JSON]) -> String? {
        if let card = fields["card"]?.objectValue {
            switch card["type"]?.stringValue {
            case "raw": return card["data"].flatMap { $0.objectValue != nil ? $0.serialized : nil }
            case "template": return card["data"].map { JSON.object(["type": "template", "data": $0]).serialized }
            default: return card["elements"] != nil || card["schema"] != nil || card["header"] != nil ? JSON.object(card).serialized : nil
            }
        }
        if fields["elements"] != nil || fields["i18n_elements"] != nil || fields["schema"] != nil || fields["header"] != nil {
            return JSON.object(fields).serialized
        }
        return nil
    }
}
