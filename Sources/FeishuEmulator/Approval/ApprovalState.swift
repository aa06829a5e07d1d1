import Foundation

/// Third-party approval (三方审批, `feishu-api.md` §5.1–5.5): the definitions apps create, the instances and tasks they
/// push, the users' Approval Center lists built from them, and the quick-approval callbacks sent when a user taps
/// Approve or Reject. Users and ids come from the org, which the caller lends.
///
/// Everything is kept per app: a definition belongs to the app that created it (its code is unique in the tenant), an
/// instance is `app_id` + `instance_id` whatever its approval code.
///
/// Choices where the doc is silent:
/// - a new definition gets a code made by the emulator (uppercase, UUID-shaped), never the one asked for; asking again
///   with the code the app was given updates that definition;
/// - bad input is 1390001 "param is invalid" (HTTP 400) naming the field; an approval code the app does not own is
///   1390002 "approval code not found" (HTTP 400), on `GET external_approvals/:code` and on an instance push;
/// - times are answered as millisecond strings, as the doc's examples show them (input takes numbers or strings);
/// - `check` lists, for an instance it lacks, every task the caller sent; for an instance it holds, only the tasks
///   it lacks or holds older (the instance's own `update_time` may be up to date).
struct ApprovalState: Sendable {
    /// One locale of `i18n_resources`, its texts in the order sent.
    struct Locale: Sendable, Equatable {
        var locale: String
        var isDefault: Bool
        var texts: [Text]

        struct Text: Sendable, Equatable {
            var key: String
            var value: String
        }

        var json: JSON {
            ["locale": .string(locale), "is_default": .bool(isDefault),
             "texts": .array(texts.map { ["key": .string($0.key), "value": .string($0.value)] })]
        }
    }

    /// An approval definition (`ExternalApproval`) as its app last sent it.
    struct Definition: Sendable {
        /// The code the emulator made (the one apps must use).
        var code: String
        /// The `approval_code` of the request that created it.
        var requestedCode: String
        var appID: String
        /// The fields as sent (known fields only), `approval_code` being ``code``.
        var fields: [String: JSON]
        var locales: [Locale]
        /// A numeric id, as `external_tasks` answers it (`approval_id`).
        var approvalID: String
        var updates = 0
        var sequence: Int

        var external: [String: JSON] { fields["external"]?.objectValue ?? [:] }
        func flag(_ name: String) -> Bool { external[name]?.boolValue ?? false }
        func text(_ name: String) -> String? { external[name]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        var name: String { ApprovalState.resolve(fields["approval_name"]?.stringValue, in: locales) }
    }

    /// A task (to-do item) of an instance: whose, its status and the fields as sent.
    struct Task: Sendable {
        var id: String
        var userKey: Int
        var status: String
        var updateTime: Int64
        /// The task node as sent, times as millisecond strings.
        var fields: [String: JSON]

        var actionTypes: [String] {
            (fields["action_configs"]?.arrayValue ?? []).compactMap { $0["action_type"]?.stringValue }
        }

        func actionConfig(_ type: String) -> [String: JSON]? {
            (fields["action_configs"]?.arrayValue ?? []).first { $0["action_type"]?.stringValue == type }?.objectValue
        }
    }

    /// A CC (抄送) entry of an instance.
    struct CC: Sendable {
        var id: String
        var userKey: Int?
        var updateTime: Int64
        var fields: [String: JSON]
    }

    /// An instance with its tasks and CCs as the app last pushed them, and how often it was pushed.
    struct Instance: Sendable {
        var appID: String
        var id: String
        var approvalCode: String
        var status: String
        var updateTime: Int64
        /// The instance fields as sent, without `task_list`, `cc_list`, `update_mode` and `i18n_resources`; times as
        /// millisecond strings.
        var fields: [String: JSON]
        var locales: [Locale]
        var tasks: [Task]
        var ccs: [CC]
        /// Every push the API accepted, and those that changed something.
        var pushes = 0
        var applied = 0
        var sequence: Int

        var key: String { ApprovalState.key(appID, id) }

        /// The instance as `external_instances` echoes it (`ExternalInstance`).
        var json: JSON {
            var object = fields
            object["task_list"] = .array(tasks.map { .object($0.fields) })
            object["cc_list"] = .array(ccs.map { .object($0.fields) })
            object["i18n_resources"] = .array(locales.map(\.json))
            return .object(object)
        }
    }

    static let instanceStatuses: Set<String> = ["PENDING", "APPROVED", "REJECTED", "CANCELED", "DELETED", "HIDDEN", "TERMINATED"]
    static let taskStatuses: Set<String> = ["PENDING", "APPROVED", "REJECTED", "TRANSFERRED", "DONE"]
    /// Instances in these states are not in anyone's Approval Center.
    static let hiddenInstanceStatuses: Set<String> = ["DELETED", "HIDDEN"]
    static let locales: Set<String> = ["zh-CN", "en-US", "ja-JP"]
    static let maxTasks = 200
    static let maxCCs = 200
    static let maxActionConfigs = 2
    /// The quick-approval callback must be answered within 10 s (`feishu-api.md` §5.5).
    static let callbackDeadline = Duration.seconds(10)
    static let keptCallbacks = 200

    /// By code (unique in the tenant).
    var definitions: [String: Definition] = [:]
    /// By ``key(_:_:)``: `app_id|instance_id`.
    var instances: [String: Instance] = [:]
    /// The last quick-approval callbacks sent (newest last), as `/_emulator/approval/callbacks` shows them.
    var callbacks: [JSON] = []
    var nextSequence = 1

    mutating func takeSequence() -> Int {
        defer { nextSequence += 1 }
        return nextSequence
    }

    static func key(_ appID: String, _ instanceID: String) -> String { appID + "|" + instanceID }

    /// The default locale's text of an `@i18n@` key; any other text as it is.
    static func resolve(_ text: String?, in locales: [Locale]) -> String {
        guard let text else { return "" }
        guard text.hasPrefix("@i18n@") else { return text }
        let preferred = locales.first(where: \.isDefault) ?? locales.first
        return preferred?.texts.last(where: { $0.key == text })?.value
            ?? locales.lazy.compactMap { $0.texts.last(where: { $0.key == text })?.value }.first ?? text
    }

    // MARK: errors

    /// 1390001 "param is invalid", naming the field.
    static func invalid(_ field: String, _ description: String, value: String? = nil) -> APIError {
        APIError(code: 1_390_001, msg: "param is invalid: \(field): \(description)",
                 fieldViolations: [.init(field: field, value: value, description: description)])
    }

    /// 1390002 "approval code not found", naming the field the code came from.
    static func approvalNotFound(_ code: String, field: String = "approval_code") -> APIError {
        APIError(code: 1_390_002, msg: "approval code not found: \(code)",
                 fieldViolations: [.init(field: field, value: code, description: "no approval definition of this app has this code")])
    }

    /// Counts for `/_emulator/state`.
    var summaryJSON: JSON {
        ["definitions": .int(definitions.count), "instances": .int(instances.count),
         "tasks": .int(instances.values.reduce(0) { $0 + $1.tasks.count }), "callbacks": .int(callbacks.count)]
    }
}
