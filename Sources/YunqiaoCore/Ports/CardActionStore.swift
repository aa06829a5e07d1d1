import Foundation

/// Quick-approval card clicks and the actions they became.
public protocol CardActionStore: Sendable {
    /// Records a click in one transaction: the card must be the delivery's todo card, the user its recipient, the action
    /// one the card offers; a todo that is final or has an action under way or done gets no second action, and neither
    /// does a callback already recorded (same `event_id`).
    func recordCardClick(_ click: CardClick, at time: Date) async throws -> CardClickOutcome

    /// A tenant's actions, newest first; of one todo when `source` and `todoId` are given.
    func all(tenantId: Int64, source: String?, todoId: String?, limit: Int) async throws -> [CardActionRecord]

    /// One action, or nil.
    func cardAction(_ actionId: String) async throws -> CardActionRecord?
}

/// A card button press as a verified callback reported it.
public struct CardClick: Sendable, Equatable {
    /// The app whose callback URL received it.
    public var appId: Int64
    /// The button's value: `d` (delivery), `t` (todo) and `a` (action).
    public var deliveryId: Int64
    public var todoId: String
    public var action: TodoAction
    /// Who pressed it: the union_id (new protocol), the open_id (always), the user_id (with its field scope).
    public var unionID: String?
    public var openID: String
    public var userID: String?
    /// The card's `open_message_id`.
    public var messageID: String
    public var eventID: String?

    public init(appId: Int64, deliveryId: Int64, todoId: String, action: TodoAction, unionID: String?, openID: String,
                userID: String?, messageID: String, eventID: String?)
    {
        self.appId = appId
        self.deliveryId = deliveryId
        self.todoId = todoId
        self.action = action
        self.unionID = unionID
        self.openID = openID
        self.userID = userID
        self.messageID = messageID
        self.eventID = eventID
    }
}

/// What a card shows again in the answer to a click.
public struct ClickedCard: Sendable, Equatable {
    public var message: PushMessage
    public var deliveryId: Int64
    public var quickApproval: Bool
    /// The style to show: ``TodoState/processing`` while the OA is asked, else the todo's state.
    public var todoState: TodoState

    public init(message: PushMessage, deliveryId: Int64, quickApproval: Bool, todoState: TodoState) {
        self.message = message
        self.deliveryId = deliveryId
        self.quickApproval = quickApproval
        self.todoState = todoState
    }
}

/// Why a click is not acted on (the user sees an error toast).
public enum CardClickRefusal: String, Sendable, Equatable {
    /// No such delivery of this app, or it is not the card of that todo.
    case unknownCard
    /// The callback's message is not the delivery's card.
    case wrongMessage
    /// Someone else than the card's recipient pressed the button (a forwarded card, a shared chat).
    case notRecipient
    /// The card has no quick approval, or not this action.
    case actionNotOffered
}

/// What a click came to.
public enum CardClickOutcome: Sendable, Equatable {
    /// A new action, due at once: answer "processing".
    case accepted(CardActionRecord, ClickedCard)
    /// An action of this todo is already under way (a double click): answer "processing" again, nothing new.
    case underWay(CardActionRecord, ClickedCard)
    /// The todo has been handled (its final state, when the store knows it, with the card in that style).
    case handled(ClickedCard?)
    case refused(CardClickRefusal)
}
