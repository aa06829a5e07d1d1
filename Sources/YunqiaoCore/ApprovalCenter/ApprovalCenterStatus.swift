import Foundation

/// What an Approval Center instance says for a todo state (`feishu-api.md` §5.2): the instance's status and each
/// approver's task status, with the `complete_reason` Feishu shows. Pure.
///
/// - pending: the instance and every task `PENDING`;
/// - approved / rejected: the instance in that state; the task of whoever handled it (the todo's actor, when the actor
///   is one of the approvers) `APPROVED` / `REJECTED`, the other tasks `DONE` (finished without them);
/// - done: handled in the OA without an approval verdict: the instance `APPROVED`, the actor's task `APPROVED` with
///   the reason `others`, the others `DONE`;
/// - cancelled: the instance `CANCELED`, every task `DONE` (reason `recall`).
public enum ApprovalCenterStatus {
    public struct Task: Sendable, Equatable {
        public var status: String
        public var completeReason: String?
    }

    /// The instance's status.
    public static func instance(_ state: TodoState) -> String {
        switch state {
        case .pending, .processing: return "PENDING"
        case .approved, .done: return "APPROVED"
        case .rejected: return "REJECTED"
        case .cancelled: return "CANCELED"
        }
    }

    /// The task of `approver` (an OA user id) when the todo is in `state`, handled by `actor`.
    public static func task(_ state: TodoState, approver: String, actor: String?) -> Task {
        let isActor = actor.map { $0 == approver } ?? false
        switch state {
        case .pending, .processing: return Task(status: "PENDING", completeReason: nil)
        case .approved: return isActor ? Task(status: "APPROVED", completeReason: "approved") : Task(status: "DONE", completeReason: "others")
        case .rejected: return isActor ? Task(status: "REJECTED", completeReason: "rejected") : Task(status: "DONE", completeReason: "others")
        case .done: return Task(status: isActor ? "APPROVED" : "DONE", completeReason: "others")
        case .cancelled: return Task(status: "DONE", completeReason: "recall")
        }
    }
}
