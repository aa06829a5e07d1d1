import Foundation
import YunqiaoCore

/// An OA module as the admin API shows it: the action secret only as a mask.
public struct OAModuleView: Encodable, Sendable {
    var id: Int64
    var key: String
    var name: String
    var actionURL: String?
    /// `••••••••` + the last 4 characters, or nil when no secret is set.
    var actionSecret: String?
    var createdAt: Date
    var updatedAt: Date

    public init(_ module: OAModuleRecord, secretMask: String?) {
        id = module.id ?? 0
        key = module.key
        name = module.name
        actionURL = module.actionURL
        actionSecret = secretMask
        createdAt = module.createdAt
        updatedAt = module.updatedAt
    }
}

public struct OAModuleInput: Decodable, Sendable {
    /// Required when adding; when editing, missing or the stored key. Never null (the document's `type: string`).
    public var key: String?
    public var name: String
    public var actionURL: String?
    /// Write-only. Empty or missing keeps the stored secret when editing.
    public var actionSecret: String?
    public var clearActionSecret: Bool?

    public init(key: String? = nil, name: String, actionURL: String? = nil, actionSecret: String? = nil, clearActionSecret: Bool? = nil) {
        self.key = key
        self.name = name
        self.actionURL = actionURL
        self.actionSecret = actionSecret
        self.clearActionSecret = clearActionSecret
    }

    private enum CodingKeys: String, CodingKey {
        case key, name, actionURL, actionSecret, clearActionSecret
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if container.contains(.key), try container.decodeNil(forKey: .key) {
            throw DecodingError.valueNotFound(String.self, .init(codingPath: container.codingPath + [CodingKeys.key], debugDescription: "key is null"))
        }
        key = try container.decodeIfPresent(String.self, forKey: .key)
        name = try container.decode(String.self, forKey: .name)
        actionURL = try container.decodeIfPresent(String.self, forKey: .actionURL)
        actionSecret = try container.decodeIfPresent(String.self, forKey: .actionSecret)
        clearActionSecret = try container.decodeIfPresent(Bool.self, forKey: .clearActionSecret)
    }
}

public struct PushTargetView: Encodable, Sendable {
    var id: Int64
    var enterpriseId: Int64
    var enterpriseName: String
    var appId: Int64
    var appName: String
    var appID: String
    var type: String
    var quickApproval: Bool

    init(_ target: PushRuleDetail.Target) {
        id = target.record.id ?? 0
        enterpriseId = target.record.enterpriseId
        enterpriseName = target.enterprise.name
        appId = target.record.appId
        appName = target.app.name
        appID = target.app.appID
        type = target.record.type
        quickApproval = target.record.quickApproval
    }
}

public struct PushRuleView: Encodable, Sendable {
    var id: Int64
    var name: String
    /// A module key, or `*` for every module.
    var source: String
    var enabled: Bool
    var targets: [PushTargetView]
    var createdAt: Date
    var updatedAt: Date

    public init(_ detail: PushRuleDetail) {
        id = detail.rule.id ?? 0
        name = detail.rule.name
        source = detail.rule.source
        enabled = detail.rule.enabled
        targets = detail.targets.map(PushTargetView.init)
        createdAt = detail.rule.createdAt
        updatedAt = detail.rule.updatedAt
    }
}

/// Deliveries of a message per state.
public struct DeliveryCounts: Codable, Sendable, Equatable {
    var pending = 0
    var sent = 0
    var dead = 0
    var skipped = 0

    init(_ counts: [DeliveryState: Int]) {
        pending = counts[.pending] ?? 0
        sent = counts[.sent] ?? 0
        dead = counts[.dead] ?? 0
        skipped = counts[.skipped] ?? 0
    }
}

public struct MessageSummaryView: Encodable, Sendable {
    var id: Int64
    var source: String
    var idempotencyKey: String
    var title: String
    var todoId: String?
    var acceptedBy: String
    var acceptedAt: Date
    var deliveries: DeliveryCounts

    public init(_ summary: MessageSummary) {
        id = summary.message.id ?? 0
        source = summary.message.source
        idempotencyKey = summary.message.idempotencyKey
        title = summary.message.title
        todoId = summary.message.todoId
        acceptedBy = summary.message.acceptedBy
        acceptedAt = summary.message.acceptedAt
        deliveries = DeliveryCounts(summary.counts)
    }
}

public struct MessagePageView: Encodable, Sendable {
    var total: Int
    var items: [MessageSummaryView]

    public init(total: Int, items: [MessageSummaryView]) {
        self.total = total
        self.items = items
    }
}

public struct CardUpdateView: Encodable, Sendable {
    var state: String
    /// `patch` or `notice`, once done.
    var mode: String?
    var attempts: Int
    var lastError: String?
    var updatedAt: Date

    init(_ record: CardUpdateRecord) {
        state = record.state
        mode = record.mode
        attempts = record.attempts
        lastError = record.lastError
        updatedAt = record.updatedAt
    }
}

public struct DeliveryView: Encodable, Sendable {
    var id: Int64
    var messageId: Int64
    var enterpriseId: Int64
    var enterpriseName: String
    var appId: Int64
    var appName: String
    var oaUserID: String
    var type: String
    var quickApproval: Bool
    /// pending, sent, dead or skipped.
    public var state: String
    var attempts: Int
    var nextAttemptAt: Date?
    var feishuMessageID: String?
    var lastError: String?
    var note: String?
    var createdAt: Date
    var sentAt: Date?
    var updatedAt: Date
    var cardUpdate: CardUpdateView?

    public init(_ detail: DeliveryDetail) {
        let delivery = detail.delivery
        id = delivery.id ?? 0
        messageId = delivery.messageId
        enterpriseId = detail.enterprise.id ?? 0
        enterpriseName = detail.enterprise.name
        appId = delivery.appId
        appName = detail.app.name
        oaUserID = delivery.oaUserID
        type = delivery.type
        quickApproval = delivery.quickApproval
        state = delivery.state
        attempts = delivery.attempts
        nextAttemptAt = delivery.deliveryState == .pending ? delivery.nextAttemptAt : nil
        feishuMessageID = delivery.feishuMessageID
        lastError = delivery.lastError
        note = delivery.note
        createdAt = delivery.createdAt
        sentAt = delivery.sentAt
        updatedAt = delivery.updatedAt
        cardUpdate = detail.cardUpdate.map(CardUpdateView.init)
    }
}

public struct TodoView: Encodable, Sendable {
    var id: String
    var source: String
    var state: String
    var by: String?
    var at: Date?

    public init(_ todo: TodoRecord) {
        id = todo.todoId
        source = todo.source
        state = todo.state
        by = todo.actor
        at = todo.at
    }
}

public struct MessageDetailView: Encodable, Sendable {
    var id: Int64
    var source: String
    var idempotencyKey: String
    var title: String
    var acceptedBy: String
    var acceptedAt: Date
    var todo: TodoView?
    var counts: DeliveryCounts
    var deliveries: [DeliveryView]
    /// The message as accepted.
    var message: PushMessage?
    /// The todo in Feishu's Approval Center, per app (empty when its module uses cards only).
    var approvalCenter: [ApprovalInstanceView]

    public init(_ detail: MessageDetail) {
        id = detail.message.id ?? 0
        source = detail.message.source
        idempotencyKey = detail.message.idempotencyKey
        title = detail.message.title
        acceptedBy = detail.message.acceptedBy
        acceptedAt = detail.message.acceptedAt
        todo = detail.todo.map(TodoView.init)
        var counts: [DeliveryState: Int] = [:]
        for item in detail.deliveries { counts[item.delivery.deliveryState, default: 0] += 1 }
        self.counts = DeliveryCounts(counts)
        deliveries = detail.deliveries.map(DeliveryView.init)
        message = try? detail.message.message()
        approvalCenter = detail.approvalInstances.map { ApprovalInstanceView($0, todo: detail.todo) }
    }
}

public struct DeadLetterView: Encodable, Sendable {
    /// `delivery` (the message was not sent) or `cardUpdate` (the sent card could not be brought to its final style).
    var kind: String
    var messageId: Int64
    var title: String
    var source: String
    var delivery: DeliveryView

    public init(_ letter: DeadLetter) {
        kind = letter.kind
        messageId = letter.message.id ?? 0
        title = letter.message.title
        source = letter.message.source
        delivery = DeliveryView(letter.delivery)
    }
}

public struct DeadLetterPageView: Encodable, Sendable {
    var total: Int
    var items: [DeadLetterView]

    public init(total: Int, items: [DeadLetterView]) {
        self.total = total
        self.items = items
    }
}

/// The answer to accepting a message (`POST /api/v1/messages`), the same for a repeat.
public struct AcceptedMessageView: Encodable, Sendable {
    struct Deliveries: Encodable, Sendable {
        var planned: Int
        var skipped: Int
    }

    var id: Int64
    var status = "accepted"
    var deliveries: Deliveries

    public init(_ accepted: AcceptedMessage) {
        id = accepted.id
        deliveries = Deliveries(planned: accepted.planned, skipped: accepted.skipped)
    }
}

public struct TodoChangeView: Encodable, Sendable {
    var todo: TodoView
    /// False when the todo already had this state (nothing changed).
    var changed: Bool
    /// Cards queued for an update.
    var cardUpdates: Int

    public init(todo: TodoView, changed: Bool, cardUpdates: Int) {
        self.todo = todo
        self.changed = changed
        self.cardUpdates = cardUpdates
    }
}

public struct TestSendView: Encodable, Sendable {
    var messageId: Int64
    var delivery: DeliveryView?

    public init(messageId: Int64, delivery: DeliveryView? = nil) {
        self.messageId = messageId
        self.delivery = delivery
    }
}
