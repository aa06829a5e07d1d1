import Foundation
import GRDB
import YunqiaoCore

/// A module of the OA that sends messages (日报 daily report, 审批 approval, 考勤 attendance…): the `source` of a
/// message and of a push rule. `actionURL` receives quick-approval actions, signed with the sealed action secret.
public struct OAModuleRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "oaModule"
    public var id: Int64?
    public var tenantId: Int64
    /// What messages name as their `source`; fixed once created.
    public var key: String
    public var name: String
    public var actionURL: String?
    /// The action webhook's HMAC secret, sealed by ``SecretBox``; never returned.
    public var sealedActionSecret: String?
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A push rule (消息推送规则): the messages of one module (or of every module, `source == "*"`) go to its targets.
public struct PushRuleRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pushRule"
    public var id: Int64?
    public var tenantId: Int64
    public var name: String
    public var source: String
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One target of a push rule: an app of an enterprise and the message type it gets.
public struct PushTargetRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pushTarget"
    public var id: Int64?
    public var pushRuleId: Int64
    public var enterpriseId: Int64
    public var appId: Int64
    /// A ``PushMessageType`` raw value.
    public var type: String
    public var quickApproval: Bool
    /// Order within the rule (the first target of an app wins when rules overlap).
    public var position: Int

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var messageType: PushMessageType { PushMessageType(rawValue: type) ?? .text }
}

/// A message the OA handed over, as accepted (`payload` is the ``PushMessage`` JSON).
public struct MessageRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "message"
    public var id: Int64?
    public var tenantId: Int64
    public var source: String
    public var idempotencyKey: String
    public var title: String
    public var todoId: String?
    public var payload: String
    /// Deliveries planned (pending) and skipped at accept time: the accept answer, repeated for a repeated request.
    public var planned: Int
    public var skipped: Int
    /// `oa:<key name>`, or the admin of a test send.
    public var acceptedBy: String
    public var acceptedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The message as accepted.
    public func message() throws -> PushMessage { try JSONDecoder().decode(PushMessage.self, from: Data(payload.utf8)) }
}

/// The state of a delivery (one message to one OA user through one app).
public enum DeliveryState: String, Sendable, Codable, CaseIterable {
    /// Waiting for (another) attempt.
    case pending
    /// Feishu took it; `feishuMessageID` is set.
    case sent
    /// Given up: a permanent error, or the attempts ran out. A dead letter, resendable.
    case dead
    /// Not sent at all: the recipient has no binding in the app's enterprise ("skipped: not bound").
    case skipped
}

/// One message × app × OA user: the outbox row the delivery worker works from.
public struct DeliveryRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "delivery"
    public var id: Int64?
    public var messageId: Int64
    public var appId: Int64
    public var oaUserID: String
    public var type: String
    public var quickApproval: Bool
    public var state: String
    /// Feishu's idempotency key (≤ 50 characters), fixed at plan time and sent with every attempt.
    public var uuid: String
    public var unionID: String?
    public var feishuMessageID: String?
    /// For todo cards: the todo state the card was sent in.
    public var renderedState: String?
    public var attempts: Int
    public var nextAttemptAt: Date
    /// The worker holding it for an attempt, until `leaseExpiresAt` (see ``OutboxLease``).
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var lastError: String?
    /// Something worth knowing about a sent message ("image left out: …", "shortened to fit Feishu's size limit").
    public var note: String?
    public var createdAt: Date
    public var sentAt: Date?
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public var deliveryState: DeliveryState { DeliveryState(rawValue: state) ?? .pending }
    public var messageType: PushMessageType { PushMessageType(rawValue: type) ?? .text }
}

/// An OA todo behind todo messages: its state decides the style of every card of it.
public struct TodoRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "todo"
    public var tenantId: Int64
    public var source: String
    public var todoId: String
    /// pending, done, approved, rejected or cancelled.
    public var state: String
    /// Who handled it, as the OA says.
    public var actor: String?
    public var at: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public var todoState: TodoState { TodoState(rawValue: state) ?? .pending }
}

/// The outbox of card changes: a sent todo card brought to its todo's final style (a PATCH within 14 days of sending,
/// a short "handled" text after).
public struct CardUpdateRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "cardUpdate"
    public var id: Int64?
    public var deliveryId: Int64
    /// pending, done or dead.
    public var state: String
    /// How it was done: `patch` or `notice`.
    public var mode: String?
    public var noticeMessageID: String?
    public var attempts: Int
    public var nextAttemptAt: Date
    /// The worker holding it for an attempt (or the card held against it), until `leaseExpiresAt`.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
