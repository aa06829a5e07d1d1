import Foundation

/// Accepting messages, todos, the message log and dead letters.
public protocol MessageStore: Sendable {
    /// Messages, newest first.
    func messageLog(tenantId: Int64, filter: MessageFilter) async throws -> MessagePage

    /// A message of the tenant with every delivery.
    func messageDetail(tenantId: Int64, id: Int64) async throws -> MessageDetail

    /// One delivery of the tenant with its app, enterprise and card update.
    func deliveryDetail(tenantId: Int64, id: Int64) async throws -> DeliveryDetail

    /// The deliveries of a tenant per state (all messages).
    func deliveryStateCounts(tenantId: Int64) async throws -> [DeliveryState: Int]

    /// When each delivery's message was accepted and when the delivery was recorded sent, by the delivery's `uuid`
    /// (what Feishu holds): the figures of `yunqiao bench push`.
    func deliveryTimings(tenantId: Int64) async throws -> [String: (acceptedAt: Date, sentAt: Date?)]

    /// Dead letters, the most recently failed first.
    func deadLetters(tenantId: Int64, limit: Int, offset: Int) async throws -> (items: [DeadLetter], total: Int)

    /// Sends a dead delivery again (back to pending, attempts from 0, the same uuid so a message Feishu did take is not
    /// sent twice), or retries its dead card update; a skipped one is planned again when its recipient is bound now.
    func resendDelivery(tenantId: Int64, id: Int64, by actor: AuditActor, at time: Date) async throws -> DeliveryRecord

    /// Every dead letter of the tenant back to pending (deliveries and card updates). Returns how many.
    @discardableResult
    func resendDeadLetters(tenantId: Int64, by actor: AuditActor, at time: Date) async throws -> Int

    /// Accepts a message of the OA: checked (``PushMessage/validate()``, a registered `source`, known active recipients —
    /// a problem names its field), then the message, one delivery per (matched app, recipient) and the todo are written
    /// in one transaction.
    func acceptMessage(tenantId: Int64, _ message: PushMessage, by actor: String, at time: Date) async throws
        -> AcceptedMessage

    /// A sample message to one OA user through one target of a rule, planned like an accepted message (`source` is the
    /// rule's module, or `yunqiao.test` for a rule of every module). Returns the message and its one delivery.
    func planTestMessage(tenantId: Int64, ruleId: Int64, targetId: Int64, oaUserID: String, by actor: AuditActor,
                         at time: Date) async throws -> (message: MessageRecord, deliveryId: Int64)

    /// Moves a todo to a final state (`done`, `approved`, `rejected`, `cancelled`) and queues, in the same transaction,
    /// one card update per sent todo card of it. The same state again changes nothing (`changed == false`); another
    /// final state is refused (``TodoChangeError/alreadyFinal(_:)``). Call ``PushDelivery/wake()`` afterwards.
    ///
    /// Used by `PATCH /api/v1/todos/{id}` and by the quick-approval worker once the OA accepted an action.
    func changeTodo(tenantId: Int64, source: String, todoId: String, state: TodoState, by actor: String, at time: Date) async throws
        -> TodoChange

    /// The todo of a tenant, or nil.
    func todo(tenantId: Int64, source: String, todoId: String) async throws -> TodoRecord?
}

public struct MessageFilter: Sendable, Equatable {
    public var source: String?
    /// An OA user id some delivery of the message is for.
    public var recipient: String?
    /// Messages with at least one delivery in this state.
    public var state: DeliveryState?
    /// Text in the title, idempotency key or todo id.
    public var text: String?
    public var limit: Int
    public var offset: Int

    public init(source: String? = nil, recipient: String? = nil, state: DeliveryState? = nil, text: String? = nil, limit: Int = 50,
                offset: Int = 0)
    {
        self.source = source
        self.recipient = recipient
        self.state = state
        self.text = text
        self.limit = limit
        self.offset = offset
    }
}

public struct MessageSummary: Sendable, Equatable {
    public var message: MessageRecord
    /// Deliveries per state.
    public var counts: [DeliveryState: Int]

    public init(message: MessageRecord, counts: [DeliveryState: Int]) {
        self.message = message
        self.counts = counts
    }
}

public struct MessagePage: Sendable, Equatable {
    public var items: [MessageSummary]
    public var total: Int

    public init(items: [MessageSummary], total: Int) {
        self.items = items
        self.total = total
    }
}

/// One delivery with its app, enterprise and card update, for display.
public struct DeliveryDetail: Sendable, Equatable {
    public var delivery: DeliveryRecord
    public var app: AppRecord
    public var enterprise: EnterpriseRecord
    public var cardUpdate: CardUpdateRecord?

    public init(delivery: DeliveryRecord, app: AppRecord, enterprise: EnterpriseRecord,
                cardUpdate: CardUpdateRecord? = nil)
    {
        self.delivery = delivery
        self.app = app
        self.enterprise = enterprise
        self.cardUpdate = cardUpdate
    }
}

public struct MessageDetail: Sendable, Equatable {
    public var message: MessageRecord
    public var todo: TodoRecord?
    public var deliveries: [DeliveryDetail]

    /// The todo's Approval Center instances (one per app), for a todo message.
    public var approvalInstances: [ApprovalInstanceDetail]

    public init(message: MessageRecord, todo: TodoRecord? = nil, deliveries: [DeliveryDetail], approvalInstances: [ApprovalInstanceDetail] = []) {
        self.message = message
        self.todo = todo
        self.deliveries = deliveries
        self.approvalInstances = approvalInstances
    }
}

/// A dead letter: a delivery that is dead, or a sent one whose card update is dead.
public struct DeadLetter: Sendable, Equatable {
    public var message: MessageRecord
    public var delivery: DeliveryDetail
    /// `delivery` or `cardUpdate`: what failed.
    public var kind: String

    public init(message: MessageRecord, delivery: DeliveryDetail, kind: String) {
        self.message = message
        self.delivery = delivery
        self.kind = kind
    }
}

/// What accepting a message did (the `POST /api/v1/messages` answer).
public struct AcceptedMessage: Sendable, Equatable {
    public var id: Int64
    /// Deliveries waiting to be sent.
    public var planned: Int
    /// Deliveries recorded as skipped (the recipient is not bound in the app's enterprise).
    public var skipped: Int
    /// The `(source, idempotencyKey)` was accepted before: this is the first answer, nothing was written.
    public var repeated: Bool

    public init(id: Int64, planned: Int, skipped: Int, repeated: Bool) {
        self.id = id
        self.planned = planned
        self.skipped = skipped
        self.repeated = repeated
    }
}

/// What ``changeTodo(tenantId:source:todoId:state:by:at:)`` did.
public struct TodoChange: Sendable, Equatable {
    public var todo: TodoRecord
    /// False when the todo already had this state (a repeated call): nothing was written.
    public var changed: Bool
    /// Card updates queued: one per sent todo card of the todo.
    public var cardUpdates: Int

    public init(todo: TodoRecord, changed: Bool, cardUpdates: Int) {
        self.todo = todo
        self.changed = changed
        self.cardUpdates = cardUpdates
    }
}

/// Why a todo cannot change.
public enum TodoChangeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No message of this tenant and source carried the todo.
    case notFound(source: String, todoId: String)
    /// The todo was handled already, to another final state: a final state is final.
    case alreadyFinal(TodoRecord)

    public var text: LocalizedText {
        switch self {
        case .notFound(let source, let todoId): "no todo \(todoId) of source \(source)"
        case .alreadyFinal(let todo):
            if let actor = todo.actor { "todo \(todo.todoId) is already \(todo.state) (by \(actor)); a final state is final" }
            else { "todo \(todo.todoId) is already \(todo.state); a final state is final" }
        }
    }

    public var description: String { text.description }
}
