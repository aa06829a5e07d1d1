import Foundation
import GRDB
import YunqiaoCore

// MARK: quick approval from the Approval Center

extension ApprovalCenterRepository {
    public func recordApprovalAction(_ click: ApprovalClick, at time: Date = Date()) async throws -> ApprovalClickOutcome {
        try await write { db in
            guard let instance = try ApprovalInstanceRecord.filter(Column("appId") == click.appId && Column("instanceId") == click.instanceId).fetchOne(db),
                  click.taskId.hasPrefix(click.instanceId + "#"),
                  let task = try ApprovalTaskRecord.filter(Column("instanceRowId") == instance.id
                      && Column("oaUserID") == String(click.taskId.dropFirst(click.instanceId.count + 1))).fetchOne(db),
                  let messageRecord = try MessageRecord.fetchOne(db, key: instance.messageId), let message = try? messageRecord.message(),
                  let todo = message.todo
            else { return .refused(.unknownCard) }
            guard try Self.isApprover(db, task, appId: instance.appId, userID: click.userID) else { return .refused(.notRecipient) }
            guard task.quickApproval, todo.quickActions.contains(click.action) else { return .refused(.actionNotOffered) }

            let state = try TodoRecord.fetchOne(db, key: ["tenantId": instance.tenantId, "source": instance.source, "todoId": instance.todoId])?.todoState
            if let state, state.isFinal { return .handled(state) }
            let earlier = try CardActionRecord.filter(CardActionRecord.Columns.tenantId == instance.tenantId
                && CardActionRecord.Columns.source == instance.source && CardActionRecord.Columns.todoId == instance.todoId)
                .order(CardActionRecord.Columns.createdAt.desc).fetchAll(db)
            if let running = earlier.first(where: { [.received, .calling].contains($0.actionState) }) { return .underWay(running) }
            if earlier.contains(where: { $0.actionState == .done }) { return .handled(nil) }

            // The approver's card of the same app, if one was sent: the action's outcome shows there too.
            let card = try Row.fetchOne(db, sql: """
                SELECT d.id, d.feishuMessageID FROM delivery d JOIN message m ON m.id = d.messageId
                WHERE m.tenantId = ? AND m.source = ? AND m.todoId = ? AND d.appId = ? AND d.oaUserID = ? AND d.type = 'todo'
                ORDER BY d.id DESC LIMIT 1
                """, arguments: [instance.tenantId, instance.source, instance.todoId, instance.appId, task.oaUserID])
            let previous = earlier.filter { $0.approvalTaskId == task.id }.count
            let operatorName = try String.fetchOne(db, sql: "SELECT name FROM oaUser WHERE tenantId = ? AND oaID = ?",
                                                   arguments: [instance.tenantId, task.oaUserID]) ?? ""
            let record = CardActionRecord(
                actionId: "ac\(task.id ?? 0).\(click.action.rawValue).\(previous + 1)", tenantId: instance.tenantId,
                deliveryId: card?["id"], channel: CardActionRecord.approvalCenterChannel, approvalTaskId: task.id, source: instance.source,
                todoId: instance.todoId, action: click.action.rawValue, operatorUnionID: task.unionID, operatorOpenID: task.openID,
                operatorOaUserID: task.oaUserID, operatorName: operatorName, eventID: nil, messageID: card?["feishuMessageID"] ?? "",
                state: CardActionState.received.rawValue, attempts: 0, nextAttemptAt: time, createdAt: time, updatedAt: time)
            try record.insert(db)
            return .accepted(record)
        }
    }

    /// Whether `userID` (the operator the callback names) is the task's approver: the task's user_id, or the one the
    /// binding or the mirror holds for the approver's union_id.
    private static func isApprover(_ db: Database, _ task: ApprovalTaskRecord, appId: Int64, userID: String?) throws -> Bool {
        guard let userID, !userID.isEmpty else { return false }
        if let known = task.userID { return known == userID }
        guard let enterpriseId = try Int64.fetchOne(db, sql: "SELECT enterpriseId FROM app WHERE id = ?", arguments: [appId]) else { return false }
        let known = try String.fetchAll(db, sql: """
            SELECT userID FROM binding WHERE enterpriseId = ? AND unionID = ? AND userID IS NOT NULL
            UNION SELECT userID FROM feishuUser WHERE enterpriseId = ? AND unionID = ? AND userID IS NOT NULL
            """, arguments: [enterpriseId, task.unionID, enterpriseId, task.unionID])
        return known.contains(userID)
    }
}
