import Foundation

/// OA todos in Feishu's Approval Center (issue #18): the modules' setting, the external approval definitions and the
/// instances (two queues of the outbox), quick approval from the Approval Center, and reconciliation.
public protocol ApprovalCenterStore: Sendable {
    // MARK: setting

    /// Saves a module's Approval Center setting (audited; an unchanged one writes nothing). With the Approval Center on,
    /// the module's definition is due in every app its todos are routed to (todo targets of its rules and of rules of
    /// every module); a changed setting makes existing definitions due again.
    func setApprovalCenter(tenantId: Int64, moduleId: Int64, _ setting: ApprovalCenterSetting, by actor: AuditActor,
                           at time: Date) async throws -> OAModuleRecord

    /// The definitions of a module (every app), with their apps.
    func approvalDefinitions(tenantId: Int64, source: String) async throws -> [ApprovalDefinitionDetail]

    // MARK: the worker's side

    /// Claims up to `limit` due definitions for `lease`.
    func claimDueApprovalDefinitions(limit: Int, now: Date, lease: OutboxLease) async throws -> [ApprovalDefinitionJob]

    /// Records how a definition push ended. False when `lease` no longer holds it.
    @discardableResult
    func finishApprovalDefinition(_ id: Int64, _ outcome: ApprovalPushOutcome, lease: OutboxLease, at time: Date) async throws -> Bool

    /// Claims up to `limit` due instances whose definition has its code, for `lease`, oldest due first.
    func claimDueApprovalInstances(limit: Int, now: Date, lease: OutboxLease) async throws -> [ApprovalInstanceJob]

    /// Records how an instance push ended. A push of `changeTime` older than the instance's now leaves it pending (it
    /// changed meanwhile). False when `lease` no longer holds it.
    @discardableResult
    func finishApprovalInstance(_ id: Int64, changeTime: Int64, status: String, _ outcome: ApprovalPushOutcome, lease: OutboxLease,
                                at time: Date) async throws -> Bool

    /// Keeps the user_id and open_id Feishu answered for a task's approver.
    func setApprovalTaskUser(_ taskId: Int64, userID: String?, openID: String?) async throws

    /// When the next definition or instance is due (nil: none pending).
    func nextApprovalDue() async throws -> Date?

    /// Makes a module's definitions due again when `digest` (what the worker would push now) differs from the pushed one.
    func refreshApprovalDefinition(_ id: Int64, digest: String, at time: Date) async throws -> Bool

    // MARK: quick approval from the Approval Center

    /// Records an approve/reject tapped in the Approval Center as a quick-approval action (``CardActionRecord`` with
    /// channel `approvalCenter`), in one transaction, with the same rules as a card click: the task must be ours and
    /// the operator its approver, the action offered; a final todo or one with an action under way or done gets none.
    func recordApprovalAction(_ click: ApprovalClick, at time: Date) async throws -> ApprovalClickOutcome

    // MARK: reconciliation and display

    /// Every app with pushed instances, and its tenant.
    func approvalApps() async throws -> [(tenantId: Int64, appId: Int64)]

    /// Pushed instances of an app (with their tasks) after the row `afterId`, by id, at most `limit`.
    func syncedApprovalInstances(appId: Int64, afterId: Int64, limit: Int) async throws -> [ApprovalInstanceJob]

    /// Instances of an app Feishu lacks or holds older: due again now (repaired by the worker). Answers how many.
    func requeueApprovalInstances(appId: Int64, instanceIds: [String], at time: Date) async throws -> Int

    /// Keeps the last reconciliation's report of a tenant; and reads it.
    func recordApprovalCheck(tenantId: Int64, _ report: ApprovalCheckReport) async throws
    func lastApprovalCheck(tenantId: Int64) async throws -> ApprovalCheckReport?

    /// The instances of a todo (one per app) with their tasks and apps, for the message page.
    func approvalInstances(tenantId: Int64, source: String, todoId: String) async throws -> [ApprovalInstanceDetail]

    /// A todo's instances due again with a newer change time (a quick approval from the Approval Center failed: the
    /// task shows pending again). Answers how many.
    func touchApprovalInstances(tenantId: Int64, source: String, todoId: String, at time: Date) async throws -> Int

    /// Dead definitions and instances of a tenant pending again. Answers how many.
    func resendApprovalDeadLetters(tenantId: Int64, by actor: AuditActor, at time: Date) async throws -> Int
}

/// How pushing a definition or an instance ended.
public enum ApprovalPushOutcome: Sendable, Equatable {
    /// Feishu took it (a definition: with its code).
    case synced(approvalCode: String?, digest: String?)
    case retry(at: Date, error: String)
    case dead(error: String)
    case released
}

/// A definition to push, with what it is made of.
public struct ApprovalDefinitionJob: Sendable, Equatable {
    public var definition: ApprovalDefinitionRecord
    public var module: OAModuleRecord
    public var app: AppRecord
    public var enterprise: EnterpriseRecord
    /// The tenant's external domain (`https://…`), which the callback URL is on; nil: not set.
    public var externalDomain: String?

    public init(definition: ApprovalDefinitionRecord, module: OAModuleRecord, app: AppRecord, enterprise: EnterpriseRecord,
                externalDomain: String?)
    {
        self.definition = definition
        self.module = module
        self.app = app
        self.enterprise = enterprise
        self.externalDomain = externalDomain
    }
}

/// An instance to push, as it is now.
public struct ApprovalInstanceJob: Sendable, Equatable {
    public var instance: ApprovalInstanceRecord
    public var approvalCode: String
    /// The module (nil when deleted since): its name and pages.
    public var module: OAModuleRecord?
    public var message: PushMessage?
    public var todo: TodoRecord?
    public var tasks: [ApprovalTaskRecord]
    public var app: AppRecord
    public var enterprise: EnterpriseRecord

    public init(instance: ApprovalInstanceRecord, approvalCode: String, module: OAModuleRecord?, message: PushMessage?, todo: TodoRecord?,
                tasks: [ApprovalTaskRecord], app: AppRecord, enterprise: EnterpriseRecord)
    {
        self.instance = instance
        self.approvalCode = approvalCode
        self.module = module
        self.message = message
        self.todo = todo
        self.tasks = tasks
        self.app = app
        self.enterprise = enterprise
    }
}

/// A definition with its app, for display.
public struct ApprovalDefinitionDetail: Sendable, Equatable {
    public var definition: ApprovalDefinitionRecord
    public var app: AppRecord

    public init(definition: ApprovalDefinitionRecord, app: AppRecord) {
        self.definition = definition
        self.app = app
    }
}

/// An instance with its tasks and app, for display.
public struct ApprovalInstanceDetail: Sendable, Equatable {
    public var instance: ApprovalInstanceRecord
    public var tasks: [ApprovalTaskRecord]
    public var app: AppRecord

    public init(instance: ApprovalInstanceRecord, tasks: [ApprovalTaskRecord], app: AppRecord) {
        self.instance = instance
        self.tasks = tasks
        self.app = app
    }
}

/// Approve or reject tapped in the Approval Center, as a verified callback reported it (`feishu-api.md` §5.5).
public struct ApprovalClick: Sendable, Equatable {
    /// The app whose callback URL received it.
    public var appId: Int64
    public var instanceId: String
    public var taskId: String
    public var action: TodoAction
    /// The operator's user_id.
    public var userID: String?

    public init(appId: Int64, instanceId: String, taskId: String, action: TodoAction, userID: String?) {
        self.appId = appId
        self.instanceId = instanceId
        self.taskId = taskId
        self.action = action
        self.userID = userID
    }
}

/// What an Approval Center action came to.
public enum ApprovalClickOutcome: Sendable, Equatable {
    case accepted(CardActionRecord)
    /// An action of the todo is under way.
    case underWay(CardActionRecord)
    /// The todo has been handled.
    case handled(TodoState?)
    case refused(CardClickRefusal)
}

/// What a reconciliation (`external_instances/check`) found.
public struct ApprovalCheckReport: Sendable, Codable, Equatable {
    public var startedAt: Date
    public var finishedAt: Date
    /// Instances compared with Feishu.
    public var checked: Int
    /// Instances Feishu lacked or held older: pushed again.
    public var drifted: Int
    /// The instance ids of the drifts (at most 100).
    public var driftedIds: [String]
    /// Apps whose check failed, with why.
    public var errors: [String]

    public init(startedAt: Date, finishedAt: Date, checked: Int, drifted: Int, driftedIds: [String], errors: [String]) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.checked = checked
        self.drifted = drifted
        self.driftedIds = driftedIds
        self.errors = errors
    }
}
