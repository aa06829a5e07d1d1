import Foundation

/// A user used an interactive component of a card the app sent (`feishu-api.md` §6.8 `card.action.trigger`, or the old
/// protocol of §6.9).
public struct FeishuCardAction: Sendable, Equatable {
    public enum CallbackProtocol: String, Sendable {
        case v2 = "card.action.trigger"
        case v1 = "card.action.trigger_v1"
    }

    public var callbackProtocol: CallbackProtocol
    /// `header.event_id` (new protocol only).
    public var eventID: String?
    public var appID: String?
    public var tenantKey: String?
    /// Milliseconds (new protocol only).
    public var createTime: Int64?
    /// Who clicked: always the open_id; union_id on the new protocol; user_id when the app has its field scope.
    public var openID: String
    public var unionID: String?
    public var userID: String?
    /// The card's message (`context.open_message_id` / `open_message_id`).
    public var messageID: String
    public var chatID: String?
    /// The delayed-update token (`c-…`, 30 minutes, §4.6).
    public var token: String?
    /// `action.tag`, e.g. `button`.
    public var tag: String?
    /// `action.value` with its scalar values as text (`{"op":"approve","id":42}` → `["op": "approve", "id": "42"]`).
    public var value: [String: String]
    /// `action.value` as JSON, for ``decodeValue(_:)``; `nil` when the action has no value.
    public var valueJSON: Data?
    public var option: String?
    public var options: [String]
    public var inputValue: String?
    public var name: String?
    /// `action.form_value` as JSON.
    public var formValueJSON: Data?
    public var checked: Bool?
    public var timezone: String?
    /// `im_message` or `im_top_notice` (new protocol).
    public var host: String?

    /// `action.value` decoded into the caller's type.
    public func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: valueJSON ?? Data("null".utf8))
    }

    init(v2 envelope: CallbackJSON) throws(FeishuCallbackError) {
        let header = envelope["header"]
        let event = envelope["event"]
        guard let openID = event?["operator"]?["open_id"]?.string, !openID.isEmpty else {
            throw .malformedCardAction("event.operator.open_id is missing")
        }
        guard let messageID = event?["context"]?["open_message_id"]?.string, !messageID.isEmpty else {
            throw .malformedCardAction("event.context.open_message_id is missing")
        }
        self.init(protocol: .v2, openID: openID, messageID: messageID, action: event?["action"])
        eventID = header?["event_id"]?.string
        appID = header?["app_id"]?.string
        tenantKey = header?["tenant_key"]?.string ?? event?["operator"]?["tenant_key"]?.string
        createTime = header?["create_time"]?.text.flatMap { Int64($0) }
        unionID = event?["operator"]?["union_id"]?.string
        userID = event?["operator"]?["user_id"]?.string
        chatID = event?["context"]?["open_chat_id"]?.string
        token = event?["token"]?.string
        host = event?["host"]?.string
    }

    init(oldProtocol body: CallbackJSON) throws(FeishuCallbackError) {
        guard let openID = body["open_id"]?.string, !openID.isEmpty else { throw .malformedCardAction("open_id is missing") }
        guard let messageID = body["open_message_id"]?.string, !messageID.isEmpty else {
            throw .malformedCardAction("open_message_id is missing")
        }
        self.init(protocol: .v1, openID: openID, messageID: messageID, action: body["action"])
        tenantKey = body["tenant_key"]?.string
        userID = body["user_id"]?.string
        chatID = body["open_chat_id"]?.string
        token = body["token"]?.string
    }

    private init(protocol kind: CallbackProtocol, openID: String, messageID: String, action: CallbackJSON?) {
        callbackProtocol = kind
        self.openID = openID
        self.messageID = messageID
        tag = action?["tag"]?.string
        var scalars: [String: String] = [:]
        if case .object(let fields)? = action?["value"] {
            for (key, item) in fields { if let text = item.text { scalars[key] = text } }
        }
        value = scalars
        valueJSON = action?["value"].flatMap { $0.isNull ? nil : $0.data }
        option = action?["option"]?.text
        if case .array(let items)? = action?["options"] { options = items.compactMap(\.text) } else { options = [] }
        inputValue = action?["input_value"]?.text
        name = action?["name"]?.string
        formValueJSON = action?["form_value"].flatMap { $0.isNull ? nil : $0.data }
        checked = action?["checked"]?.bool
        timezone = action?["timezone"]?.string
    }
}

/// The answer to a card callback (§6.8): HTTP 200 within 3 s with an optional toast and an optional new card. `{}`
/// keeps the card as it is.
public struct FeishuCardCallbackAnswer: Sendable, Equatable {
    public enum ToastType: String, Sendable {
        case info, success, error, warning
    }

    public struct Toast: Sendable, Equatable {
        public var type: ToastType
        public var content: String
        /// Per language, e.g. `["zh_cn": "已同意", "en_us": "Approved"]`.
        public var i18n: [String: String]

        public init(type: ToastType, content: String, i18n: [String: String] = [:]) {
            self.type = type
            self.content = content
            self.i18n = i18n
        }
    }

    public var toast: Toast?
    /// A full card JSON that replaces the card (`{"type": "raw", "data": …}`).
    public var card: Data?

    public init(toast: Toast? = nil, card: Data? = nil) {
        self.toast = toast
        self.card = card
    }

    public struct InvalidCard: Error, Sendable {}

    /// The body to answer: `{"toast": {…}, "card": {"type": "raw", "data": {…}}}`.
    public func body() throws -> Data {
        var fields: [String: CallbackJSON] = [:]
        if let toast {
            var item: [String: CallbackJSON] = ["type": .string(toast.type.rawValue), "content": .string(toast.content)]
            if !toast.i18n.isEmpty { item["i18n"] = .object(toast.i18n.mapValues(CallbackJSON.string)) }
            fields["toast"] = .object(item)
        }
        if let card {
            guard let parsed = CallbackJSON.parse(card), case .object = parsed else { throw InvalidCard() }
            fields["card"] = .object(["type": "raw", "data": parsed])
        }
        return CallbackJSON.object(fields).data
    }
}

extension CallbackJSON: ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .string(value) }
}
