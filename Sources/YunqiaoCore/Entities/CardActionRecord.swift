import Foundation

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
public struct CardActionRecord: Codable, Sendable, Equatable {
    /// `<delivery id>.<action>.<n>`: the n-th action on that card (a new one only after the previous one failed).
    public var actionId: String
    public var tenantId: Int64
    /// The todo card clicked; for an action from the Approval Center, the approver's card of the same app if any.
    public var deliveryId: Int64?
    /// Where the action was taken: `card` (a todo card in a chat) or `approvalCenter` (Feishu's Approval Center).
    public var channel: String
    /// The Approval Center task acted on (channel `approvalCenter`).
    public var approvalTaskId: Int64?
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

    public init(actionId: String, tenantId: Int64, deliveryId: Int64?, channel: String = "card", approvalTaskId: Int64? = nil, source: String, todoId: String, action: String,
                operatorUnionID: String, operatorOpenID: String? = nil, operatorOaUserID: String, operatorName: String,
                eventID: String? = nil, messageID: String, state: String, attempts: Int, nextAttemptAt: Date,
                leaseOwner: String? = nil, leaseExpiresAt: Date? = nil, result: String? = nil,
                cardError: String? = nil, createdAt: Date, updatedAt: Date, finishedAt: Date? = nil)
    {
        self.actionId = actionId
        self.tenantId = tenantId
        self.deliveryId = deliveryId
        self.channel = channel
        self.approvalTaskId = approvalTaskId
        self.source = source
        self.todoId = todoId
        self.action = action
        self.operatorUnionID = operatorUnionID
        self.operatorOpenID = operatorOpenID
        self.operatorOaUserID = operatorOaUserID
        self.operatorName = operatorName
        self.eventID = eventID
        self.messageID = messageID
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.result = result
        self.cardError = cardError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
    }

    /// The stored state, `calling` while a worker holds a received action.
    public var actionState: CardActionState {
        let stored = CardActionState(rawValue: state) ?? .received
        if stored == .received, let lease = leaseExpiresAt, lease > Date() { return .calling }
        return stored
    }
    public var todoAction: TodoAction { TodoAction(rawValue: action) ?? .approve }
    /// Taken in Feishu's Approval Center rather than on a card.
    public var isFromApprovalCenter: Bool { channel == Self.approvalCenterChannel }
    public static let approvalCenterChannel = "approvalCenter"
}
