import Foundation
import GRDB
import YunqiaoCore

/// Quick-approval card clicks as the callback records them, and the actions they became.
public struct CardActionRepository: StoreRepository {
    let writer: any DatabaseWriter
}

// MARK: the callback's side

extension CardActionRepository {
    /// Records a click in one transaction: the card must be the delivery's todo card, the user its recipient, the action
    /// one the card offers; a todo that is final or has an action under way or done gets no second action, and neither
    /// does a callback already recorded (same `event_id`).
    public func recordCardClick(_ click: CardClick, at time: Date = Date()) async throws -> CardClickOutcome {
        try await write { db in
            guard let delivery = try DeliveryRecord.fetchOne(db, key: click.deliveryId), delivery.appId == click.appId,
                  delivery.messageType == .todo, let messageRecord = try MessageRecord.fetchOne(db, key: delivery.messageId),
                  messageRecord.todoId == click.todoId, let message = try? messageRecord.message(), let todo = message.todo
            else { return .refused(.unknownCard) }
            if let sent = delivery.feishuMessageID, sent != click.messageID { return .refused(.wrongMessage) }
            guard let recipient = delivery.unionID,
                  try Self.isRecipient(db, click, unionID: recipient, oaUserID: delivery.oaUserID, appId: delivery.appId)
            else { return .refused(.notRecipient) }
            guard delivery.quickApproval, todo.quickActions.contains(click.action) else { return .refused(.actionNotOffered) }

            let tenantId = messageRecord.tenantId
            let card = ClickedCard(message: message, deliveryId: click.deliveryId, quickApproval: delivery.quickApproval,
                                   todoState: .processing)
            let state = try TodoRecord.fetchOne(db, key: ["tenantId": tenantId, "source": messageRecord.source, "todoId": todo.id])?.todoState
            if let state, state.isFinal {
                var final = card
                final.todoState = state
                return .handled(final)
            }
            let earlier = try CardActionRecord.filter(CardActionRecord.Columns.tenantId == tenantId && CardActionRecord.Columns.source == messageRecord.source
                && CardActionRecord.Columns.todoId == todo.id).order(CardActionRecord.Columns.createdAt.desc).fetchAll(db)
            if let running = earlier.first(where: { [.received, .calling].contains($0.actionState) }) { return .underWay(running, card) }
            if earlier.contains(where: { $0.actionState == .done }) { return .handled(nil) }
            // The same callback again (a replay within the signature's time window): no second action.
            if let eventID = click.eventID, let replayed = earlier.first(where: { $0.eventID == eventID }) {
                var shown = card
                shown.todoState = state ?? .pending
                return .underWay(replayed, shown)
            }

            let previous = earlier.filter { $0.deliveryId == click.deliveryId }.count
            let operatorName = try String.fetchOne(db, sql: "SELECT name FROM oaUser WHERE tenantId = ? AND oaID = ?",
                                                   arguments: [tenantId, delivery.oaUserID]) ?? ""
            let record = CardActionRecord(
                actionId: "\(click.deliveryId).\(click.action.rawValue).\(previous + 1)", tenantId: tenantId, deliveryId: click.deliveryId,
                source: messageRecord.source, todoId: todo.id, action: click.action.rawValue, operatorUnionID: recipient,
                operatorOpenID: click.openID, operatorOaUserID: delivery.oaUserID, operatorName: operatorName, eventID: click.eventID,
                messageID: click.messageID, state: CardActionState.received.rawValue, attempts: 0, nextAttemptAt: time, leaseOwner: nil,
                leaseExpiresAt: nil, result: nil,
                cardError: nil, createdAt: time, updatedAt: time, finishedAt: nil)
            try record.insert(db)
            return .accepted(record, card)
        }
    }

    /// Whether the clicking user is the delivery's recipient: by union_id when the callback has one (new protocol), else
    /// (old protocol: open_id and user_id only) by the user_id or open_id the binding or the mirror holds for them.
    private static func isRecipient(_ db: Database, _ click: CardClick, unionID: String, oaUserID: String, appId: Int64) throws -> Bool {
        if let clicked = click.unionID { return clicked == unionID }
        guard let enterpriseId = try Int64.fetchOne(db, sql: "SELECT enterpriseId FROM app WHERE id = ?", arguments: [appId]) else {
            return false
        }
        var openIDs: Set<String> = []
        var userIDs: Set<String> = []
        let rows = try Row.fetchAll(db, sql: """
            SELECT openID, userID FROM binding WHERE enterpriseId = ? AND oaUserID = ? AND unionID = ?
            UNION ALL SELECT openID, userID FROM feishuUser WHERE enterpriseId = ? AND unionID = ?
            """, arguments: [enterpriseId, oaUserID, unionID, enterpriseId, unionID])
        for row in rows {
            if let openID: String = row["openID"] { openIDs.insert(openID) }
            if let userID: String = row["userID"] { userIDs.insert(userID) }
        }
        if let userID = click.userID, userIDs.contains(userID) { return true }
        return openIDs.contains(click.openID)
    }

    /// A tenant's actions, newest first; of one todo when `source` and `todoId` are given.
    public func all(tenantId: Int64, source: String? = nil, todoId: String? = nil, limit: Int = 100) async throws -> [CardActionRecord] {
        try await read { db in
            var request = CardActionRecord.filter(CardActionRecord.Columns.tenantId == tenantId)
            if let source { request = request.filter(CardActionRecord.Columns.source == source) }
            if let todoId { request = request.filter(CardActionRecord.Columns.todoId == todoId) }
            return try request.order(CardActionRecord.Columns.createdAt.desc, CardActionRecord.Columns.actionId.desc).limit(limit).fetchAll(db)
        }
    }

    /// One action, or nil.
    public func cardAction(_ actionId: String) async throws -> CardActionRecord? {
        try await read { db in try CardActionRecord.fetchOne(db, key: actionId) }
    }
}

extension CardActionRepository: CardActionStore {}
