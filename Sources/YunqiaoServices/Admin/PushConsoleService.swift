import Foundation
import YunqiaoCore

/// What the console's message push pages (issue #7) do, scoped to the admin's tenant: OA modules, push rules and their
/// targets, test sends, the message log and dead letters. Every rule (validation, refusals, audit) lives in the store,
/// so the admin API and the console agree; this only shapes the console's calls onto it.
public struct PushConsoleService: Sendable {
    let database: any BridgeStore
    /// Woken after a change to the outbox (a test send, a resend); nil in an app without the worker.
    var delivery: PushDelivery?
    /// How long a test send waits for Feishu's answer before showing the message with its delivery still pending.
    static let testSendWait: Duration = .seconds(5)

    typealias StoreError = YunqiaoError

    // MARK: modules

    public func modules(_ admin: AdminIdentity) async throws -> [OAModuleRecord] { try await database.pushRules.oaModules(tenantId: admin.tenantId) }

    public func module(_ admin: AdminIdentity, id: Int64) async throws -> OAModuleRecord {
        try await database.pushRules.oaModule(tenantId: admin.tenantId, id: id)
    }

    /// The mask of a module's action secret (`••••••••` + last 4), or nil when none is set.
    public func actionSecretMask(_ module: OAModuleRecord) -> String? { database.pushRules.actionSecretMask(of: module) }

    /// The form's key, action URL and secret are taken trimmed (what was pasted); the store takes them as the API sends them.
    public func createModule(_ admin: AdminIdentity, key: String, name: String, actionURL: String?, actionSecret: String?) async throws
        -> OAModuleRecord
    {
        try await database.pushRules.createOAModule(tenantId: admin.tenantId, key: Self.trimmed(key), name: name, actionURL: actionURL.map(Self.trimmed),
                                                    actionSecret: actionSecret.map(Self.trimmed), by: admin.actor)
    }

    /// An empty `actionSecret` keeps the stored one; `clearActionSecret` removes it.
    public func updateModule(_ admin: AdminIdentity, id: Int64, name: String, actionURL: String?, actionSecret: String?,
                      clearActionSecret: Bool) async throws -> OAModuleRecord
    {
        try await database.pushRules.updateOAModule(tenantId: admin.tenantId, id: id, key: nil, name: name, actionURL: actionURL.map(Self.trimmed),
                                                    actionSecret: actionSecret.map(Self.trimmed), clearActionSecret: clearActionSecret,
                                                    by: admin.actor)
    }

    private static func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    public func deleteModule(_ admin: AdminIdentity, id: Int64) async throws {
        try await database.pushRules.deleteOAModule(tenantId: admin.tenantId, id: id, by: admin.actor)
    }

    // MARK: rules

    public func rules(_ admin: AdminIdentity) async throws -> [PushRuleDetail] {
        try await database.pushRules.all(tenantId: admin.tenantId)
    }

    public func rule(_ admin: AdminIdentity, id: Int64) async throws -> PushRuleDetail {
        try await database.pushRules.pushRule(tenantId: admin.tenantId, id: id)
    }

    public func createRule(_ admin: AdminIdentity, name: String, source: String, enabled: Bool) async throws -> PushRuleDetail {
        try await database.pushRules.createPushRule(tenantId: admin.tenantId, .init(name: name, source: source, enabled: enabled), by: admin.actor)
    }

    /// Name, source and switch; the targets stay as they are.
    public func updateRule(_ admin: AdminIdentity, id: Int64, name: String, source: String, enabled: Bool) async throws
        -> PushRuleDetail
    {
        try await database.pushRules.updatePushRule(tenantId: admin.tenantId, id: id, .init(name: name, source: source, enabled: enabled),
                                                    by: admin.actor)
    }

    public func deleteRule(_ admin: AdminIdentity, id: Int64) async throws {
        try await database.pushRules.deletePushRule(tenantId: admin.tenantId, id: id, by: admin.actor)
    }

    /// A target a module's messages go to, and the rule that sends them there (``PushRules/matches(source:rules:)``).
    public struct EffectiveTarget: Sendable {
        public var rule: PushRuleRecord
        public var target: PushRuleDetail.Target
    }

    /// For each module, where its messages go now: one target per app, a rule for the module winning over a `*` rule.
    public func effectiveTargets(modules: [OAModuleRecord], rules: [PushRuleDetail]) -> [(module: OAModuleRecord, targets: [EffectiveTarget])] {
        let domain = rules.map { detail in
            PushRule(id: detail.rule.id ?? 0, name: detail.rule.name, source: detail.rule.source, enabled: detail.rule.enabled,
                     targets: detail.targets.map { target in
                         PushTarget(id: target.record.id ?? 0, enterpriseID: target.record.enterpriseId, appID: target.record.appId,
                                    type: target.record.messageType, quickApproval: target.record.quickApproval)
                     })
        }
        let byID = Dictionary(rules.map { ($0.rule.id ?? 0, $0) }) { first, _ in first }
        return modules.map { module in
            let targets = PushRules.matches(source: module.key, rules: domain).compactMap { match -> EffectiveTarget? in
                guard let detail = byID[match.ruleID], let target = detail.targets.first(where: { ($0.record.id ?? 0) == match.target.id })
                else { return nil }
                return EffectiveTarget(rule: detail.rule, target: target)
            }
            return (module, targets)
        }
    }

    /// A target as the console's form enters it.
    public struct TargetInput: Sendable, Equatable {
        var enterpriseId: Int64
        var appId: Int64
        var type: String
        var quickApproval: Bool

        public init(enterpriseId: Int64, appId: Int64, type: String, quickApproval: Bool) {
            self.enterpriseId = enterpriseId
            self.appId = appId
            self.type = type
            self.quickApproval = quickApproval
        }
    }

    /// Adds a target to a rule (`targetId` nil) or replaces one; the rule's other targets stay as they are. A refusal
    /// names the form's field (`target`, `type`, `quickApproval`), not the store's `targets[i].…`.
    public func saveTarget(_ admin: AdminIdentity, ruleId: Int64, targetId: Int64?, _ input: TargetInput) async throws
        -> PushRuleDetail
    {
        let detail = try await rule(admin, id: ruleId)
        if let targetId, !detail.targets.contains(where: { $0.record.id == targetId }) {
            throw StoreError.notFound("target \(targetId) of push rule \(ruleId)")
        }
        let entered = PushTargetInput(id: targetId, enterpriseId: input.enterpriseId, appId: input.appId, type: input.type,
                                      quickApproval: input.quickApproval)
        var targets = detail.targets.map { target in
            target.record.id == targetId && targetId != nil ? entered : Self.input(target.record)
        }
        if targetId == nil { targets.append(entered) }
        let index = targets.firstIndex { $0 == entered } ?? targets.count - 1
        return try await replaceTargets(admin, detail, targets, entered: index)
    }

    public func deleteTarget(_ admin: AdminIdentity, ruleId: Int64, targetId: Int64) async throws {
        let detail = try await rule(admin, id: ruleId)
        guard detail.targets.contains(where: { $0.record.id == targetId }) else {
            throw StoreError.notFound("target \(targetId) of push rule \(ruleId)")
        }
        let targets = detail.targets.filter { $0.record.id != targetId }.map { Self.input($0.record) }
        _ = try await replaceTargets(admin, detail, targets, entered: nil)
    }

    private func replaceTargets(_ admin: AdminIdentity, _ detail: PushRuleDetail,
                                _ targets: [PushTargetInput], entered: Int?) async throws -> PushRuleDetail
    {
        let rule = detail.rule
        let input = PushRuleInput(name: rule.name, source: rule.source, enabled: rule.enabled, targets: targets)
        do {
            return try await database.pushRules.updatePushRule(tenantId: admin.tenantId, id: rule.id ?? 0, input, by: admin.actor)
        } catch let StoreError.invalid(field, message) {
            throw StoreError.invalid(field: Self.formField(field, entered: entered), message: message)
        }
    }

    /// `targets[2].type` → `type` when target 2 is the entered one; a problem of another (stored) target → `target`.
    static func formField(_ field: String, entered: Int?) -> String {
        guard field.hasPrefix("targets[") else { return field }
        let index = field.dropFirst("targets[".count).prefix { $0.isNumber }
        let rest = field.drop { $0 != "." }.dropFirst()
        guard let entered, Int(index) == entered else { return "target" }
        switch rest {
        case "type": return "type"
        case "quickApproval": return "quickApproval"
        default: return "target"
        }
    }

    private static func input(_ record: PushTargetRecord) -> PushTargetInput {
        .init(id: record.id, enterpriseId: record.enterpriseId, appId: record.appId, type: record.type, quickApproval: record.quickApproval)
    }

    /// Every (enterprise, app) pair of the tenant, for the target form's one select.
    public func appChoices(_ admin: AdminIdentity) async throws -> [(enterprise: EnterpriseRecord, app: AppRecord)] {
        var pairs: [(EnterpriseRecord, AppRecord)] = []
        for enterprise in try await database.integration.enterprises(tenantId: admin.tenantId) {
            for app in try await database.integration.apps(enterpriseId: enterprise.id ?? 0) { pairs.append((enterprise, app)) }
        }
        return pairs
    }

    // MARK: test send

    /// A sample message through one target to one OA user (given by OA user id or login name), planned like an OA's
    /// message; the delivery worker sends it. Answers the message.
    public func testSend(_ admin: AdminIdentity, ruleId: Int64, targetId: Int64, user: String) async throws -> (message: MessageRecord, deliveryId: Int64) {
        let entered = user.trimmingCharacters(in: .whitespaces)
        guard !entered.isEmpty else { throw StoreError.invalid(field: "oaUserID", message: "required") }
        var oaID = entered
        if try await database.oaDirectory.oaUser(tenantId: admin.tenantId, oaID: entered) == nil,
           let byLogin = try await database.oaDirectory.oaUser(tenantId: admin.tenantId, loginID: entered)
        {
            oaID = byLogin.oaID
        }
        let planned = try await database.messages.planTestMessage(tenantId: admin.tenantId, ruleId: ruleId, targetId: targetId, oaUserID: oaID,
                                                                  by: admin.actor, at: Date())
        guard let delivery else { return planned }
        delivery.wake()
        let deadline = ContinuousClock.now + Self.testSendWait
        while ContinuousClock.now < deadline,
              try await database.messages.deliveryDetail(tenantId: admin.tenantId, id: planned.deliveryId).delivery.deliveryState == .pending
        {
            try await Task.sleep(for: .milliseconds(50))
        }
        return planned
    }

    // MARK: messages

    public func messages(_ admin: AdminIdentity, _ filter: MessageFilter) async throws -> MessagePage {
        try await database.messages.messageLog(tenantId: admin.tenantId, filter: filter)
    }

    public func message(_ admin: AdminIdentity, id: Int64) async throws -> MessageDetail {
        try await database.messages.messageDetail(tenantId: admin.tenantId, id: id)
    }

    public func deadLetters(_ admin: AdminIdentity, limit: Int, offset: Int) async throws -> (items: [DeadLetter], total: Int) {
        try await database.messages.deadLetters(tenantId: admin.tenantId, limit: limit, offset: offset)
    }

    public func resend(_ admin: AdminIdentity, deliveryId: Int64) async throws -> DeliveryRecord {
        let record = try await database.messages.resendDelivery(tenantId: admin.tenantId, id: deliveryId, by: admin.actor, at: Date())
        delivery?.wake()
        return record
    }

    public func resendAll(_ admin: AdminIdentity) async throws -> Int {
        let count = try await database.messages.resendDeadLetters(tenantId: admin.tenantId, by: admin.actor, at: Date())
        if count > 0 { delivery?.wake() }
        return count
    }

    // MARK: overview

    /// Today's traffic: the messages accepted since midnight (server time) and their deliveries per state.
    public struct Today: Sendable, Equatable {
        public var messages: Int
        public var deliveries: [DeliveryState: Int]
        /// More messages came today than were counted (the counts cover the newest ``overviewLimit``).
        public var partial: Bool
    }

    public static let overviewLimit = 5_000

    public func today(_ admin: AdminIdentity, now: Date = Date()) async throws -> Today {
        let midnight = Calendar(identifier: .gregorian).startOfDay(for: now)
        var counts: [DeliveryState: Int] = [:]
        var messages = 0
        var offset = 0
        let pageSize = 500
        while offset < Self.overviewLimit {
            let page = try await database.messages.messageLog(tenantId: admin.tenantId, filter: .init(limit: pageSize, offset: offset))
            let todays = page.items.prefix { $0.message.acceptedAt >= midnight }
            for item in todays {
                messages += 1
                for (state, count) in item.counts { counts[state, default: 0] += count }
            }
            guard todays.count == page.items.count, page.items.count == pageSize else {
                return Today(messages: messages, deliveries: counts, partial: false)
            }
            offset += pageSize
        }
        return Today(messages: messages, deliveries: counts, partial: true)
    }

    public init(database: any BridgeStore, delivery: PushDelivery? = nil) {
        self.database = database
        self.delivery = delivery
    }
}
