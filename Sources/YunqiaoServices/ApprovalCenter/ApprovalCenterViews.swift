import Foundation
import YunqiaoCore

/// A module's Approval Center setting with its definitions, as the admin API answers it.
public struct ApprovalCenterSettingView: Encodable, Sendable {
    public struct Definition: Encodable, Sendable {
        var appId: Int64
        var appName: String
        /// Feishu's code, once saved.
        var approvalCode: String?
        /// pending, synced or dead.
        var state: String
        var lastError: String?
    }

    var moduleId: Int64
    var channel: String
    var pcURL: String?
    var mobileURL: String?
    var definitions: [Definition]

    public init(module: OAModuleRecord, definitions: [ApprovalDefinitionDetail]) {
        moduleId = module.id ?? 0
        channel = module.todoChannel
        pcURL = module.approvalPCURL
        mobileURL = module.approvalMobileURL
        self.definitions = definitions.map {
            Definition(appId: $0.app.id ?? 0, appName: $0.app.name, approvalCode: $0.definition.approvalCode, state: $0.definition.state,
                       lastError: $0.definition.lastError)
        }
    }
}

/// A todo's instance in one app's Approval Center, on the message page.
public struct ApprovalInstanceView: Encodable, Sendable {
    public struct Task: Encodable, Sendable {
        public internal(set) var oaUserID: String
        /// What the Approval Center shows the approver: `PENDING`, `APPROVED`, `REJECTED` or `DONE`.
        public internal(set) var status: String
    }

    var appId: Int64
    var appName: String
    var instanceId: String
    /// The instance status Feishu holds (nil: not pushed yet).
    var status: String?
    /// pending (a push is due), synced or dead.
    var state: String
    var attempts: Int
    var lastError: String?
    public internal(set) var tasks: [Task]

    public init(_ detail: ApprovalInstanceDetail, todo: TodoRecord?) {
        appId = detail.app.id ?? 0
        appName = detail.app.name
        instanceId = detail.instance.instanceId
        status = detail.instance.feishuStatus
        state = detail.instance.state
        attempts = detail.instance.attempts
        lastError = detail.instance.lastError
        let synced = detail.instance.state == "synced"
        tasks = detail.tasks.map { task in
            Task(oaUserID: task.oaUserID,
                 status: synced ? ApprovalCenterStatus.task(todo?.todoState ?? .pending, approver: task.oaUserID, actor: todo?.actor).status : "PENDING")
        }
    }
}
