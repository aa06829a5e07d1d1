import Foundation
import GRDB
import YunqiaoCore

/// The state of a quick-approval action.
public enum CardActionState: String, Sendable, Codable, CaseIterable {
    /// Recorded; the OA's action webhook is (again) due at `nextAttemptAt`.
    case received
    /// An attempt is under way: `received` and held by a worker's lease (not stored; see ``CardActionRecord/actionState``).
    case calling
    /// The OA accepted it; the todo is approved or rejected.
    case done
    /// The OA refused it, could not be reached after every attempt, or the module has no action webhook. The card was
    /// set back to pending (with a note) so that the user can try again or handle it in the OA.
    case failed
}

/// A quick-approval click on a todo card (issue #7, "Todo lifecycle and quick approval"): what is sent to the module's
/// action webhook, and how far it got. `actionId` is what the OA dedupes by; a double click never makes a second row.
public struct CardActionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "cardAction"
    /// `<delivery id>.<action>.<n>`: the n-th action on that card (a new one only after the previous one failed).
    public var actionId: String
    public var tenantId: Int64
    public var deliveryId: Int64
    /// The OA module (the message's `source`) and its todo.
    public var source: String
    public var todoId: String
    /// `approve` or `reject`.
    public var action: String
    public var operatorUnionID: String
    public var operatorOpenID: String?
    public var operatorOaUserID: String
    /// The OA user's name when the click arrived.
    public var operatorName: String
    /// `header.event_id` of the callback (new protocol).
    public var eventID: String?
    /// The card's `open_message_id`.
    public var messageID: String
    public var state: String
    /// Attempts to call the OA so far.
    public var attempts: Int
    public var nextAttemptAt: Date
    /// The worker calling the OA for it, until `leaseExpiresAt` (see ``OutboxLease``).
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// The last attempt's outcome (`HTTP 200`), or why the action failed.
    public var result: String?
    /// Why a failed action's card could not be set back to pending.
    public var cardError: String?
    /// When the click arrived.
    public var createdAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?

    /// The stored state, `calling` while a worker holds a received action.
    public var actionState: CardActionState {
        let stored = CardActionState(rawValue: state) ?? .received
        if stored == .received, let lease = leaseExpiresAt, lease > Date() { return .calling }
        return stored
    }
    public var todoAction: TodoAction { TodoAction(rawValue: action) ?? .approve }
}

extension CardActionRecord {
    /// The columns, for requests (`CardActionRecord.Columns.actionId`).
    public enum Columns {
        public static let actionId = Column(CodingKeys.actionId)
        public static let tenantId = Column(CodingKeys.tenantId)
        public static let deliveryId = Column(CodingKeys.deliveryId)
        public static let source = Column(CodingKeys.source)
        public static let todoId = Column(CodingKeys.todoId)
        public static let action = Column(CodingKeys.action)
        public static let operatorUnionID = Column(CodingKeys.operatorUnionID)
        public static let operatorOpenID = Column(CodingKeys.operatorOpenID)
        public static let operatorOaUserID = Column(CodingKeys.operatorOaUserID)
        public static let operatorName = Column(CodingKeys.operatorName)
        public static let eventID = Column(CodingKeys.eventID)
        public static let messageID = Column(CodingKeys.messageID)
        public static let state = Column(CodingKeys.state)
        public static let attempts = Column(CodingKeys.attempts)
        public static let nextAttemptAt = Column(CodingKeys.nextAttemptAt)
        public static let leaseOwner = Column(CodingKeys.leaseOwner)
        public static let leaseExpiresAt = Column(CodingKeys.leaseExpiresAt)
        public static let result = Column(CodingKeys.result)
        public static let cardError = Column(CodingKeys.cardError)
        public static let createdAt = Column(CodingKeys.createdAt)
        public static let updatedAt = Column(CodingKeys.updatedAt)
        public static let finishedAt = Column(CodingKeys.finishedAt)
    }
}
