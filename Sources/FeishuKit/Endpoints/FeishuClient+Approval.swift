import Foundation
import NIOHTTP1

/// Third-party approval (三方审批, `feishu-api.md` §5.1–§5.3): an OA module's external approval definition, its
/// instances with a task per approver (what the Approval Center lists), and the freshness check. Tenant token, 50/s
/// and 1000/min per API, through ``FeishuClient/call(_:as:)`` like every call.
extension FeishuClient {
    static let approval = "/open-apis/approval/v4"

    private struct CodeData: Decodable, Sendable {
        var approvalCode: String
        enum CodingKeys: String, CodingKey { case approvalCode = "approval_code" }
    }

    private struct DiffData: Decodable, Sendable {
        var diffInstances: [ExternalInstanceCheck.Instance]?
        enum CodingKeys: String, CodingKey { case diffInstances = "diff_instances" }
    }

    /// Creates the definition, or updates the one whose code is `definition.approvalCode`; answers the code Feishu keeps
    /// (for a new definition not necessarily the one asked for). Retrying is safe once the code is known.
    public func saveExternalApproval(_ definition: ExternalApproval) async throws -> String {
        let request = FeishuRequest(.POST, Self.approval + "/external_approvals", query: [("user_id_type", "user_id")],
                                    body: try Self.approvalEncoder.encode(definition))
        let data: CodeData = try await call(request)
        return data.approvalCode
    }

    /// Pushes an instance with its tasks (`REPLACE`: the push is the whole truth). Feishu keeps the push with the newest
    /// `update_time`, so pushing an older one again changes nothing.
    public func syncExternalInstance(_ instance: ExternalInstance) async throws {
        let request = FeishuRequest(.POST, Self.approval + "/external_instances", body: try Self.approvalEncoder.encode(instance))
        let _: Empty = try await call(request)
    }

    /// The instances (of `instances`) Feishu lacks or holds older than the given `update_time`s.
    public func checkExternalInstances(_ instances: [ExternalInstanceCheck.Instance]) async throws -> [ExternalInstanceCheck.Instance] {
        let request = FeishuRequest(.POST, Self.approval + "/external_instances/check",
                                    body: try Self.approvalEncoder.encode(ExternalInstanceCheck(instances: instances)))
        let data: DiffData = try await call(request)
        return data.diffInstances ?? []
    }

    /// snake_case keys, sorted (the same definition gives the same bytes, hence the same digest).
    public static var approvalEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// A text of a definition or instance: an `@i18n@` key and its value per locale (`i18n_resources`, §5.1).
public struct ApprovalI18nResource: Encodable, Sendable, Equatable {
    public struct Text: Encodable, Sendable, Equatable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }
    public var locale: String
    public var isDefault: Bool
    public var texts: [Text]

    public init(locale: String, isDefault: Bool, texts: [Text]) {
        self.locale = locale
        self.isDefault = isDefault
        self.texts = texts
    }
}

/// `ExternalApproval` (§5.1), the fields a todo bridge sets.
public struct ExternalApproval: Encodable, Sendable, Equatable {
    public struct External: Encodable, Sendable, Equatable {
        public var bizName: String
        public var bizType: String
        public var createLinkPc: String?
        public var createLinkMobile: String?
        public var supportPc: Bool
        public var supportMobile: Bool
        public var supportBatchRead: Bool
        public var enableMarkReaded: Bool
        public var enableQuickOperate: Bool
        public var actionCallbackUrl: String?
        public var actionCallbackToken: String?
        public var actionCallbackKey: String?
        public var allowBatchOperate: Bool

        public init(bizName: String, bizType: String, createLinkPc: String?, createLinkMobile: String?, actionCallbackUrl: String?,
                    actionCallbackToken: String?, actionCallbackKey: String?)
        {
            self.bizName = bizName
            self.bizType = bizType
            self.createLinkPc = createLinkPc
            self.createLinkMobile = createLinkMobile
            supportPc = createLinkPc != nil
            supportMobile = createLinkMobile != nil
            supportBatchRead = false
            enableMarkReaded = false
            enableQuickOperate = actionCallbackUrl != nil
            self.actionCallbackUrl = actionCallbackUrl
            self.actionCallbackToken = actionCallbackToken
            self.actionCallbackKey = actionCallbackKey
            allowBatchOperate = actionCallbackUrl != nil
        }
    }
    public struct Viewer: Encodable, Sendable, Equatable {
        public var viewerType: String
        public init(viewerType: String) { self.viewerType = viewerType }
    }

    public var approvalName: String
    public var approvalCode: String
    public var groupCode: String
    public var groupName: String?
    public var description: String?
    public var external: External
    public var viewers: [Viewer]
    public var i18nResources: [ApprovalI18nResource]

    public init(approvalName: String, approvalCode: String, groupCode: String, groupName: String?, description: String?,
                external: External, viewers: [Viewer], i18nResources: [ApprovalI18nResource])
    {
        self.approvalName = approvalName
        self.approvalCode = approvalCode
        self.groupCode = groupCode
        self.groupName = groupName
        self.description = description
        self.external = external
        self.viewers = viewers
        self.i18nResources = i18nResources
    }
}

/// `ExternalInstance` (§5.2), the fields a todo bridge sets. Times are milliseconds, sent as strings as the docs show.
public struct ExternalInstance: Encodable, Sendable, Equatable {
    public struct Links: Encodable, Sendable, Equatable {
        public var pcLink: String?
        public var mobileLink: String?
        public init(pcLink: String?, mobileLink: String?) {
            self.pcLink = pcLink
            self.mobileLink = mobileLink
        }
    }
    public struct Form: Encodable, Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }
    public struct ActionConfig: Encodable, Sendable, Equatable {
        public var actionType: String
        public var isNeedReason: Bool
        public var isReasonRequired: Bool
        public var isNeedAttachment: Bool
        public init(actionType: String) {
            self.actionType = actionType
            isNeedReason = false
            isReasonRequired = false
            isNeedAttachment = false
        }
    }
    public struct Task: Encodable, Sendable, Equatable {
        public var taskId: String
        public var userId: String?
        public var openId: String?
        public var title: String?
        public var links: Links
        public var status: String
        public var extra: String?
        public var createTime: String
        public var endTime: String
        public var updateTime: String
        public var actionContext: String?
        public var actionConfigs: [ActionConfig]?

        public init(taskId: String, userId: String?, openId: String?, title: String?, links: Links, status: String, extra: String?,
                    createTime: Int64, endTime: Int64, updateTime: Int64, actionContext: String?, actionConfigs: [ActionConfig]?)
        {
            self.taskId = taskId
            self.userId = userId
            self.openId = openId
            self.title = title
            self.links = links
            self.status = status
            self.extra = extra
            self.createTime = String(createTime)
            self.endTime = String(endTime)
            self.updateTime = String(updateTime)
            self.actionContext = actionContext
            self.actionConfigs = actionConfigs
        }
    }

    public var approvalCode: String
    public var instanceId: String
    public var status: String
    public var links: Links
    public var title: String?
    public var form: [Form]?
    public var userName: String?
    public var startTime: String
    public var endTime: String
    public var updateTime: String
    public var updateMode: String
    public var displayMethod: String?
    public var taskList: [Task]
    public var i18nResources: [ApprovalI18nResource]

    public init(approvalCode: String, instanceId: String, status: String, links: Links, title: String?, form: [Form]?, userName: String?,
                startTime: Int64, endTime: Int64, updateTime: Int64, taskList: [Task], i18nResources: [ApprovalI18nResource])
    {
        self.approvalCode = approvalCode
        self.instanceId = instanceId
        self.status = status
        self.links = links
        self.title = title
        self.form = form
        self.userName = userName
        self.startTime = String(startTime)
        self.endTime = String(endTime)
        self.updateTime = String(updateTime)
        self.updateMode = "REPLACE"
        self.displayMethod = nil
        self.taskList = taskList
        self.i18nResources = i18nResources
    }
}

/// The body and answer of `external_instances/check` (§5.3).
public struct ExternalInstanceCheck: Encodable, Sendable {
    public struct Task: Codable, Sendable, Equatable {
        public var taskId: String
        public var updateTime: String
        enum CodingKeys: String, CodingKey { case taskId = "task_id", updateTime = "update_time" }
        public init(taskId: String, updateTime: Int64) {
            self.taskId = taskId
            self.updateTime = String(updateTime)
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            taskId = c.lenientString(AnyKey("task_id")) ?? ""
            updateTime = c.lenientString(AnyKey("update_time")) ?? "0"
        }
    }
    public struct Instance: Codable, Sendable, Equatable {
        public var instanceId: String
        public var updateTime: String
        public var tasks: [Task]
        enum CodingKeys: String, CodingKey { case instanceId = "instance_id", updateTime = "update_time", tasks }
        public init(instanceId: String, updateTime: Int64, tasks: [Task]) {
            self.instanceId = instanceId
            self.updateTime = String(updateTime)
            self.tasks = tasks
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            instanceId = c.lenientString(AnyKey("instance_id")) ?? ""
            updateTime = c.lenientString(AnyKey("update_time")) ?? "0"
            tasks = (try? c.decodeIfPresent([Task].self, forKey: AnyKey("tasks"))) ?? []
        }
    }
    var instances: [Instance]
}
