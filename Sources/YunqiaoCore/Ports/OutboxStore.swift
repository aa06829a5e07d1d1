import Foundation

/// The workers' side of the outbox: deliveries, card updates and card actions.
public protocol OutboxStore: Sendable {
    /// Claims up to `limit` due actions (oldest due first) for `lease`: each is held while the OA is called, with one
    /// more attempt counted; one held by a worker that died is due again when its lease runs out.
    func claimDueCardActions(limit: Int, now: Date, lease: OutboxLease) async throws -> [CardActionJob]

    /// The job of an action (its module's webhook, its message and card).
    func cardActionJob(_ action: CardActionRecord) async throws -> CardActionJob

    /// An attempt failed and another one is due at `next`. False when `lease` no longer holds the action.
    @discardableResult
    func retryCardAction(_ actionId: String, at next: Date, result: String, lease: OutboxLease, now: Date) async throws -> Bool

    /// The action is over: `done` or `failed`, with the outcome. False when `lease` no longer holds the action.
    @discardableResult
    func finishCardAction(_ actionId: String, _ state: CardActionState, result: String, lease: OutboxLease,
                          now: Date) async throws -> Bool

    /// Records why a failed action's card could not be set back (nil: it was).
    func setCardActionCardError(_ actionId: String, _ error: String?, now: Date) async throws

    /// When the next action is due (nil: none waiting).
    func nextCardActionDue() async throws -> Date?

    /// Holds a delivery's card for a PATCH outside the card-update queue (a failed quick approval puts the pending style
    /// back), for `lease`. False — leave the card alone — when the todo is final or its card update is queued or on its
    /// way. While held, a card update queued meanwhile (`changeTodo`) waits: ``releaseCard(deliveryId:lease:)`` lets it
    /// go after the PATCH, so the final style always lands last; a hold whose worker died runs out with its lease.
    func holdCard(deliveryId: Int64, lease: OutboxLease, at time: Date) async throws -> Bool

    /// Ends ``holdCard(deliveryId:lease:at:)``: a card update queued meanwhile is due now.
    func releaseCard(deliveryId: Int64, lease: OutboxLease) async throws

    /// Claims up to `limit` due pending deliveries for `lease`, oldest due first: at most `perApp` of one app, none of
    /// the apps in `excludingApps` (the worker has enough of theirs queued) — a backlog of one app must not hold up the
    /// others.
    func claimDueDeliveries(limit: Int, perApp: Int, now: Date, lease: OutboxLease, excludingApps: Set<Int64>)
        async throws -> [DeliveryJob]

    /// Records how attempts ended, in one transaction; an outcome for a delivery `lease` no longer holds is dropped. A
    /// todo card sent in a state its todo has since left gets a card update queued (the todo changed while the card was
    /// on its way).
    func finishDeliveries(_ outcomes: [(id: Int64, outcome: DeliveryOutcome)], lease: OutboxLease, at time: Date) async throws

    /// The messages of the given ids (for rendering), by id.
    func pushMessages(ids: [Int64]) async throws -> [Int64: MessageRecord]

    /// When the next pending delivery or card update is due (nil: nothing pending).
    func nextPushDue() async throws -> Date?

    /// Claims up to `min(limit, perApp)` due card updates for `lease`, oldest due first, none of `excludingApps`.
    func claimDueCardUpdates(limit: Int, perApp: Int, now: Date, lease: OutboxLease, excludingApps: Set<Int64>)
        async throws -> [CardUpdateJob]

    /// Records how card updates ended, in one transaction; an outcome for one `lease` no longer holds is dropped.
    func finishCardUpdates(_ outcomes: [(id: Int64, outcome: CardUpdateOutcome)], lease: OutboxLease, at time: Date) async throws

    /// Extends every outbox lease `lease.owner` holds (the workers' heartbeat); answers how many.
    @discardableResult
    func renewOutboxLeases(_ lease: OutboxLease, now: Date) async throws -> Int
}

/// An action with what calling the OA and restoring its card need.
public struct CardActionJob: Sendable, Equatable {
    public var action: CardActionRecord
    /// The module's action webhook and its plaintext secret (nil when not configured).
    public var actionURL: String?
    public var actionSecret: String?
    public var moduleName: String?
    public var message: PushMessage?
    public var appId: Int64
    public var feishuMessageID: String?
    public var quickApproval: Bool
    /// The todo's state now.
    public var todoState: TodoState?

    public init(action: CardActionRecord, actionURL: String? = nil, actionSecret: String? = nil,
                moduleName: String? = nil, message: PushMessage? = nil, appId: Int64, feishuMessageID: String? = nil,
                quickApproval: Bool, todoState: TodoState? = nil)
    {
        self.action = action
        self.actionURL = actionURL
        self.actionSecret = actionSecret
        self.moduleName = moduleName
        self.message = message
        self.appId = appId
        self.feishuMessageID = feishuMessageID
        self.quickApproval = quickApproval
        self.todoState = todoState
    }
}

/// A due delivery, claimed for sending.
public struct DeliveryJob: Sendable, Equatable {
    public var id: Int64
    public var messageId: Int64
    public var tenantId: Int64
    public var appId: Int64
    public var oaUserID: String
    public var type: PushMessageType
    public var quickApproval: Bool
    public var uuid: String
    public var unionID: String?
    /// Attempts made before this one.
    public var attempts: Int
    /// The todo's state when claimed, for a message with a todo.
    public var todoState: TodoState?

    public init(id: Int64, messageId: Int64, tenantId: Int64, appId: Int64, oaUserID: String, type: PushMessageType,
                quickApproval: Bool, uuid: String, unionID: String? = nil, attempts: Int, todoState: TodoState? = nil)
    {
        self.id = id
        self.messageId = messageId
        self.tenantId = tenantId
        self.appId = appId
        self.oaUserID = oaUserID
        self.type = type
        self.quickApproval = quickApproval
        self.uuid = uuid
        self.unionID = unionID
        self.attempts = attempts
        self.todoState = todoState
    }
}

/// How a delivery attempt ended.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Feishu took it (also a repeat answered with the first message).
    case sent(feishuMessageID: String, renderedState: TodoState?, note: String?)
    /// Failed for now: the next attempt at `at`.
    case retry(at: Date, error: String)
    /// Failed for good: a dead letter now.
    case dead(error: String)
    /// Not attempted (the worker stops): back to the queue as it was.
    case released
}

/// A due card update, claimed.
public struct CardUpdateJob: Sendable, Equatable {
    public var id: Int64
    public var deliveryId: Int64
    public var messageId: Int64
    public var tenantId: Int64
    public var appId: Int64
    public var unionID: String?
    public var deliveryUUID: String
    public var feishuMessageID: String?
    public var quickApproval: Bool
    public var sentAt: Date?
    /// Attempts made before this one.
    public var attempts: Int
    /// The todo's state now: the style the card gets.
    public var todoState: TodoState

    public init(id: Int64, deliveryId: Int64, messageId: Int64, tenantId: Int64, appId: Int64, unionID: String? = nil,
                deliveryUUID: String, feishuMessageID: String? = nil, quickApproval: Bool, sentAt: Date? = nil,
                attempts: Int, todoState: TodoState)
    {
        self.id = id
        self.deliveryId = deliveryId
        self.messageId = messageId
        self.tenantId = tenantId
        self.appId = appId
        self.unionID = unionID
        self.deliveryUUID = deliveryUUID
        self.feishuMessageID = feishuMessageID
        self.quickApproval = quickApproval
        self.sentAt = sentAt
        self.attempts = attempts
        self.todoState = todoState
    }
}

public enum CardUpdateOutcome: Sendable, Equatable {
    /// Done by a PATCH of the card (`patch`) or by a "handled" text (`notice`, with its message id).
    case done(mode: String, noticeMessageID: String?)
    case retry(at: Date, error: String)
    case dead(error: String)
    case released
}
