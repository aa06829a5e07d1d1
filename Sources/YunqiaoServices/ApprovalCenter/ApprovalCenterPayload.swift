import Crypto
import FeishuKit
import Foundation
import YunqiaoCore

/// What the bridge pushes to Feishu's Approval Center (`feishu-api.md` §5.1, §5.2), made from a job. Pure.
enum ApprovalCenterPayload {
    /// The code asked for when a definition is first pushed (Feishu may answer another one, which is kept).
    static func requestedCode(source: String) -> String { "yunqiao.\(source)" }

    /// The callback URL of an app's definitions, on the tenant's external domain.
    static func callbackURL(externalDomain: String?, appId: Int64) -> String? {
        guard let domain = externalDomain?.trimmingCharacters(in: CharacterSet(charactersIn: "/")), !domain.isEmpty else { return nil }
        return "\(domain)/feishu/apps/\(appId)/approval-callback"
    }

    /// The definition of a job's module in its app, and its digest (what changes when anything in it changes).
    static func definition(_ job: ApprovalDefinitionJob, appSecret: String) throws -> (ExternalApproval, digest: String) {
        let module = job.module
        let setting = module.approvalCenter
        let callback = callbackURL(externalDomain: job.externalDomain, appId: job.app.id ?? 0)
        let credentials = ApprovalActionCallback.credentials(appID: job.app.appID, appSecret: appSecret)
        let texts = [("@i18n@name", module.name), ("@i18n@description", "OA: \(module.name)"), ("@i18n@group", "OA"),
                     ("@i18n@biz", module.name)]
        let definition = ExternalApproval(
            approvalName: "@i18n@name", approvalCode: job.definition.approvalCode ?? requestedCode(source: module.key), groupCode: "yunqiao",
            groupName: "@i18n@group", description: "@i18n@description",
            external: .init(bizName: "@i18n@biz", bizType: "yunqiao", createLinkPc: setting.pcURL, createLinkMobile: setting.mobileURL,
                            actionCallbackUrl: callback, actionCallbackToken: callback == nil ? nil : credentials.token,
                            actionCallbackKey: callback == nil ? nil : credentials.key),
            viewers: [.init(viewerType: "NONE")], i18nResources: i18n(texts))
        let encoded = try FeishuClient.approvalEncoder.encode(definition)
        return (definition, digest(encoded))
    }

    /// The instance of a todo in its app as it is now: `update_time` is the instance's change time.
    static func instance(_ job: ApprovalInstanceJob) -> ExternalInstance {
        let record = job.instance
        let state = job.todo?.todoState ?? .pending
        let message = job.message
        let setting = job.module?.approvalCenter
        let links = ExternalInstance.Links(pcLink: message?.links?.pc ?? setting?.pcURL, mobileLink: message?.links?.mobile ?? setting?.mobileURL)
        let start = milliseconds(job.todo?.createdAt ?? record.createdAt)
        let end = state.isFinal ? milliseconds(job.todo?.at ?? job.todo?.updatedAt ?? Date()) : 0
        var texts = [("@i18n@title", message?.title ?? record.todoId), ("@i18n@initiator", job.module?.name ?? record.source)]
        var form: [ExternalInstance.Form] = []
        for (index, field) in (message?.fields ?? []).prefix(3).enumerated() {
            texts.append(("@i18n@f\(index)n", field.label))
            texts.append(("@i18n@f\(index)v", field.value))
            form.append(.init(name: "@i18n@f\(index)n", value: "@i18n@f\(index)v"))
        }
        let actions = (message?.todo?.quickActions ?? []).map { ExternalInstance.ActionConfig(actionType: $0 == .approve ? "APPROVE" : "REJECT") }
        let tasks = job.tasks.compactMap { task -> ExternalInstance.Task? in
            guard task.userID != nil || task.openID != nil else { return nil }
            let status = ApprovalCenterStatus.task(state, approver: task.oaUserID, actor: job.todo?.actor)
            return ExternalInstance.Task(
                taskId: ApprovalTaskRecord.feishuTaskID(instanceId: record.instanceId, oaUserID: task.oaUserID),
                userId: task.userID, openId: task.userID == nil ? task.openID : nil, title: "@i18n@title", links: links, status: status.status,
                extra: status.completeReason.map { #"{"complete_reason":"\#($0)"}"# }, createTime: milliseconds(task.createdAt),
                endTime: state.isFinal ? end : 0, updateTime: record.changeTime, actionContext: String(record.id ?? 0),
                actionConfigs: task.quickApproval && !state.isFinal && !actions.isEmpty ? actions : nil)
        }
        return ExternalInstance(approvalCode: job.approvalCode, instanceId: record.instanceId, status: ApprovalCenterStatus.instance(state),
                                links: links, title: "@i18n@title", form: form.isEmpty ? nil : form, userName: "@i18n@initiator",
                                startTime: start, endTime: end, updateTime: record.changeTime, taskList: tasks, i18nResources: i18n(texts))
    }

    /// The same texts in Chinese (the default) and English: the OA writes them in one language.
    static func i18n(_ texts: [(String, String)]) -> [ApprovalI18nResource] {
        let values = texts.map { ApprovalI18nResource.Text(key: $0.0, value: $0.1) }
        return [ApprovalI18nResource(locale: "zh-CN", isDefault: true, texts: values),
                ApprovalI18nResource(locale: "en-US", isDefault: false, texts: values)]
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }

    static func digest(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
