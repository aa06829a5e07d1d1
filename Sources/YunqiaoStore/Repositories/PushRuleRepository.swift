import Foundation
import GRDB
import YunqiaoCore

/// Push routing: OA modules (with their quick-approval webhooks), push rules and their targets.
public struct PushRuleRepository: StoreRepository {
    let writer: any DatabaseWriter
    let secrets: SecretBox
}

// MARK: push rules

/// What an admin sets up for message push (issue #7): the OA's modules and the push rules with their targets. Every
/// change is validated here and written with its audit entry in one transaction.
extension PushRuleRepository {
    // MARK: OA modules

    public func oaModules(tenantId: Int64) async throws -> [OAModuleRecord] {
        try await read { db in try OAModuleRecord.filter(OAModuleRecord.Columns.tenantId == tenantId).order(OAModuleRecord.Columns.key).fetchAll(db) }
    }

    public func oaModule(tenantId: Int64, id: Int64) async throws -> OAModuleRecord {
        try await read { db in try Self.oaModule(db, tenantId: tenantId, id: id) }
    }

    /// The module messages name as `source`, or nil.
    public func oaModule(tenantId: Int64, key: String) async throws -> OAModuleRecord? {
        try await read { db in try OAModuleRecord.filter(OAModuleRecord.Columns.tenantId == tenantId && OAModuleRecord.Columns.key == key).fetchOne(db) }
    }

    /// The plaintext action secret of a module (for signing action webhooks only), or nil when none is set.
    public func actionSecret(of module: OAModuleRecord) throws -> String? {
        try module.sealedActionSecret.map { try secrets.open($0) }
    }

    /// The mask of a module's action secret (last 4 characters), or nil when none is set.
    public func actionSecretMask(of module: OAModuleRecord) -> String? {
        guard let sealed = module.sealedActionSecret else { return nil }
        return (try? secrets.open(sealed)).map(maskSecret) ?? "••••••••"
    }

    /// Registers a module. `key` is what messages and rules name it by: letters, digits, `-`, `_`, `.`; fixed once created.
    /// `actionSecret` is taken as sent (``checkActionSecret(_:)``).
    public func createOAModule(tenantId: Int64, key: String, name: String, actionURL: String?, actionSecret: String?,
                               by actor: AuditActor) async throws -> OAModuleRecord
    {
        let key = try Self.moduleKey(key)
        let name = try Validate.name(name)
        let url = try Self.actionURL(actionURL)
        let secret = try Self.checkActionSecret(actionSecret)
        let sealed = try secret.map { try secrets.seal($0) }
        return try await write { db in
            if try OAModuleRecord.filter(OAModuleRecord.Columns.tenantId == tenantId && OAModuleRecord.Columns.key == key).fetchCount(db) > 0 {
                throw StoreError.conflict(field: "key", message: "a module with the key \(key) already exists")
            }
            let now = Date()
            var module = OAModuleRecord(id: nil, tenantId: tenantId, key: key, name: name, actionURL: url, sealedActionSecret: sealed,
                                        createdAt: now, updatedAt: now)
            try module.insert(db)
            try Self.audit(db, tenantId: tenantId, actor, "oaModule.create", target: module.auditTarget, before: nil,
                           after: module.auditView(secretMask: secret.map(maskSecret)))
            return module
        }
    }

    /// Edits a module's name and action webhook. A nil or empty `actionSecret` keeps the stored one; `clearActionSecret`
    /// removes it. The key cannot change (rules and messages name it): a `key` given must be the stored one.
    public func updateOAModule(tenantId: Int64, id: Int64, key: String?, name: String, actionURL: String?, actionSecret: String?,
                               clearActionSecret: Bool = false, by actor: AuditActor) async throws -> OAModuleRecord
    {
        let name = try Validate.name(name)
        let url = try Self.actionURL(actionURL)
        let secret = try Self.checkActionSecret(actionSecret)
        let key = try key.map { try Self.moduleKey($0) }
        let sealed = try secret.map { try secrets.seal($0) }
        let stored = try await oaModule(tenantId: tenantId, id: id)
        let oldMask = actionSecretMask(of: stored)
        return try await write { db in
            var module = try Self.oaModule(db, tenantId: tenantId, id: id)
            if let key, key != module.key {
                throw StoreError.invalid(field: "key", message: "the key of a module cannot change (rules and messages name it); add a new module")
            }
            let before = module
            module.name = name
            module.actionURL = url
            if let sealed { module.sealedActionSecret = sealed } else if clearActionSecret { module.sealedActionSecret = nil }
            guard module != before else { return module }
            module.updatedAt = Date()
            try module.update(db)
            let newMask = module.sealedActionSecret == nil ? nil : secret.map(maskSecret) ?? oldMask
            try Self.audit(db, tenantId: tenantId, actor, "oaModule.update", target: module.auditTarget,
                           before: before.auditView(secretMask: oldMask), after: module.auditView(secretMask: newMask))
            if module.name != before.name { try Self.requeueApprovalDefinitions(db, tenantId: tenantId, source: module.key, at: module.updatedAt) }
            return module
        }
    }

    /// Deletes a module. Refused while push rules take its messages; the error names them.
    public func deleteOAModule(tenantId: Int64, id: Int64, by actor: AuditActor) async throws {
        let stored = try await oaModule(tenantId: tenantId, id: id)
        let mask = actionSecretMask(of: stored)
        try await write { db in
            let module = try Self.oaModule(db, tenantId: tenantId, id: id)
            let rules = try PushRuleRecord.filter(PushRuleRecord.Columns.tenantId == tenantId && PushRuleRecord.Columns.source == module.key).order(PushRuleRecord.Columns.name)
                .fetchAll(db)
            guard rules.isEmpty else {
                throw StoreError.inUse("module \(module.key) is the source of push rules: \(rules.map(\.name).joined(separator: ", ")); change or delete them first")
            }
            _ = try module.delete(db)
            try db.execute(sql: "DELETE FROM approvalDefinition WHERE tenantId = ? AND source = ?", arguments: [tenantId, module.key])
            try Self.audit(db, tenantId: tenantId, actor, "oaModule.delete", target: module.auditTarget,
                           before: module.auditView(secretMask: mask), after: nil)
        }
    }

    /// nil or empty: none; anything else (blanks too) must be an absolute http(s) URL.
    private static func actionURL(_ value: String?) throws -> String? {
        guard let value, !value.isEmpty else { return nil }
        return try Validate.httpURL(value, field: "actionURL").absoluteString
    }

    /// A module's action secret as sent, or nil for none (nil or empty: when editing, the stored one is kept): 16 to
    /// 256 characters, counted as the document's `minLength`/`maxLength` count them (Unicode code points), spaces
    /// included.
    private static func checkActionSecret(_ secret: String?) throws -> String? {
        guard let secret, !secret.isEmpty else { return nil }
        guard (16...256).contains(secret.unicodeScalars.count) else {
            throw StoreError.invalid(field: "actionSecret", message: "16 to 256 characters")
        }
        return secret
    }

    public static let maxTargetsPerRule = 50

    public func all(tenantId: Int64) async throws -> [PushRuleDetail] {
        try await read { db in
            try PushRuleRecord.filter(PushRuleRecord.Columns.tenantId == tenantId).order(PushRuleRecord.Columns.id).fetchAll(db).map { try Self.detail(db, $0) }
        }
    }

    public func pushRule(tenantId: Int64, id: Int64) async throws -> PushRuleDetail {
        try await read { db in try Self.detail(db, Self.pushRule(db, tenantId: tenantId, id: id)) }
    }

    public func createPushRule(tenantId: Int64, _ input: PushRuleInput, by actor: AuditActor) async throws -> PushRuleDetail {
        let name = try Validate.name(input.name)
        return try await write { db in
            try Self.requireUniqueRule(db, tenantId: tenantId, name: name, except: nil)
            let source = try Self.ruleSource(db, tenantId: tenantId, input.source)
            let targets = try Self.checkTargets(db, tenantId: tenantId, ruleId: nil, input.targets ?? [])
            let now = Date()
            var rule = PushRuleRecord(id: nil, tenantId: tenantId, name: name, source: source, enabled: input.enabled ?? true,
                                      createdAt: now, updatedAt: now)
            try rule.insert(db)
            try Self.saveTargets(db, ruleId: rule.id ?? 0, targets)
            let detail = try Self.detail(db, rule)
            try Self.audit(db, tenantId: tenantId, actor, "pushRule.create", target: rule.auditTarget, before: nil, after: detail.auditView)
            return detail
        }
    }

    /// Replaces a rule's name, source, switch and targets (targets with an `id` are kept, the others added; targets not
    /// listed are removed). Without `targets` the targets stay as they are.
    public func updatePushRule(tenantId: Int64, id: Int64, _ input: PushRuleInput, by actor: AuditActor) async throws -> PushRuleDetail {
        let name = try Validate.name(input.name)
        return try await write { db in
            var rule = try Self.pushRule(db, tenantId: tenantId, id: id)
            let before = try Self.detail(db, rule)
            try Self.requireUniqueRule(db, tenantId: tenantId, name: name, except: id)
            rule.name = name
            rule.source = try Self.ruleSource(db, tenantId: tenantId, input.source)
            rule.enabled = input.enabled ?? rule.enabled
            if let inputs = input.targets {
                let targets = try Self.checkTargets(db, tenantId: tenantId, ruleId: id, inputs)
                let kept = Set(targets.compactMap(\.id))
                try PushTargetRecord.filter(PushTargetRecord.Columns.pushRuleId == id && !kept.contains(PushTargetRecord.Columns.id)).deleteAll(db)
                try Self.saveTargets(db, ruleId: id, targets)
            }
            var after = try Self.detail(db, rule)
            guard after != before else { return after }
            rule.updatedAt = Date()
            try rule.update(db)
            after.rule = rule
            try Self.audit(db, tenantId: tenantId, actor, "pushRule.update", target: rule.auditTarget, before: before.auditView,
                           after: after.auditView)
            return after
        }
    }

    public func deletePushRule(tenantId: Int64, id: Int64, by actor: AuditActor) async throws {
        try await write { db in
            let rule = try Self.pushRule(db, tenantId: tenantId, id: id)
            let detail = try Self.detail(db, rule)
            _ = try rule.delete(db)
            try Self.audit(db, tenantId: tenantId, actor, "pushRule.delete", target: rule.auditTarget, before: detail.auditView, after: nil)
        }
    }

    private static func requireUniqueRule(_ db: Database, tenantId: Int64, name: String, except id: Int64?) throws {
        let clash = try PushRuleRecord.filter(PushRuleRecord.Columns.tenantId == tenantId && PushRuleRecord.Columns.name == name && PushRuleRecord.Columns.id != id).fetchCount(db)
        if clash > 0 { throw StoreError.conflict(field: "name", message: "a push rule named \(name) already exists") }
    }

    /// `*`, or the key of a registered module.
    private static func ruleSource(_ db: Database, tenantId: Int64, _ value: String) throws -> String {
        let source = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if source == PushRules.allSources { return source }
        guard !source.isEmpty else { throw StoreError.invalid(field: "source", message: "required: a module key, or * for every module") }
        guard try OAModuleRecord.filter(OAModuleRecord.Columns.tenantId == tenantId && OAModuleRecord.Columns.key == source).fetchCount(db) > 0 else {
            throw StoreError.invalid(field: "source", message: "no OA module \(source); register it first, or use * for every module")
        }
        return source
    }

    private static func checkTargets(_ db: Database, tenantId: Int64, ruleId: Int64?, _ inputs: [PushTargetInput]) throws
        -> [PushTargetRecord]
    {
        guard inputs.count <= maxTargetsPerRule else {
            throw StoreError.invalid(field: "targets", message: "at most \(maxTargetsPerRule) targets")
        }
        var seenApps: Set<Int64> = []
        var targets: [PushTargetRecord] = []
        for (index, input) in inputs.enumerated() {
            let field = "targets[\(index)]"
            if let id = input.id {
                guard let ruleId, let existing = try PushTargetRecord.fetchOne(db, key: id), existing.pushRuleId == ruleId else {
                    throw StoreError.invalid(field: "\(field).id", message: "no target \(id) in this rule")
                }
            }
            guard let enterprise = try EnterpriseRecord.fetchOne(db, key: input.enterpriseId), enterprise.tenantId == tenantId else {
                throw StoreError.invalid(field: "\(field).enterpriseId", message: "no enterprise \(input.enterpriseId)")
            }
            guard let app = try AppRecord.fetchOne(db, key: input.appId), app.enterpriseId == input.enterpriseId else {
                throw StoreError.invalid(field: "\(field).appId", message: "no app \(input.appId) in enterprise \(enterprise.name)")
            }
            guard let type = PushMessageType(rawValue: input.type) else {
                throw StoreError.invalid(field: "\(field).type", message: "must be text, rich, card or todo")
            }
            let quickApproval = input.quickApproval ?? false
            if quickApproval && type != .todo {
                throw StoreError.invalid(field: "\(field).quickApproval", message: "quick approval is only for todo messages")
            }
            guard seenApps.insert(input.appId).inserted else {
                throw StoreError.invalid(field: "\(field).appId", message: "app \(app.name) is already a target of this rule")
            }
            targets.append(PushTargetRecord(id: input.id, pushRuleId: ruleId ?? 0, enterpriseId: input.enterpriseId, appId: input.appId,
                                            type: type.rawValue, quickApproval: quickApproval, position: index))
        }
        return targets
    }

    private static func saveTargets(_ db: Database, ruleId: Int64, _ targets: [PushTargetRecord]) throws {
        for var target in targets {
            target.pushRuleId = ruleId
            if target.id == nil { try target.insert(db) } else { try target.update(db) }
        }
    }
}

extension StoreRepository {
    static func oaModule(_ db: Database, tenantId: Int64, id: Int64) throws -> OAModuleRecord {
        guard let module = try OAModuleRecord.fetchOne(db, key: id), module.tenantId == tenantId else {
            throw StoreError.notFound("OA module \(id)")
        }
        return module
    }

    /// A module key as sent (the document's `pattern`: no spaces around it either).
    static func moduleKey(_ key: String, field: String = "key") throws -> String {
        guard !key.isEmpty else { throw StoreError.invalid(field: field, message: "required") }
        guard key.count <= PushMessage.maxKeyLength,
              key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else { throw StoreError.invalid(field: field, message: "letters, digits, -, _ and . only, at most \(PushMessage.maxKeyLength) (e.g. approval)") }
        return key
    }

    /// The enabled rules of a tenant with their targets, as ``PushRules/match(source:rules:)`` takes them.
    static func enabledRules(_ db: Database, tenantId: Int64) throws -> [PushRule] {
        let rules = try PushRuleRecord.filter(PushRuleRecord.Columns.tenantId == tenantId && PushRuleRecord.Columns.enabled == true).order(PushRuleRecord.Columns.id).fetchAll(db)
        guard !rules.isEmpty else { return [] }
        let targets = try PushTargetRecord.filter(rules.compactMap(\.id).contains(PushTargetRecord.Columns.pushRuleId))
            .order(PushTargetRecord.Columns.pushRuleId, PushTargetRecord.Columns.position, PushTargetRecord.Columns.id).fetchAll(db)
        let byRule = Dictionary(grouping: targets, by: \.pushRuleId)
        return rules.map { rule in
            PushRule(id: rule.id ?? 0, name: rule.name, source: rule.source, enabled: rule.enabled,
                     targets: (byRule[rule.id ?? 0] ?? []).map { target in
                         PushTarget(id: target.id ?? 0, enterpriseID: target.enterpriseId, appID: target.appId, type: target.messageType,
                                    quickApproval: target.quickApproval)
                     })
        }
    }

    /// The names of the rules with a target in this enterprise (or on this app), for refusing their deletion.
    static func rulesTargeting(_ db: Database, enterpriseId: Int64? = nil, appId: Int64? = nil) throws -> [String] {
        var request = PushTargetRecord.all()
        if let enterpriseId { request = request.filter(PushTargetRecord.Columns.enterpriseId == enterpriseId) }
        if let appId { request = request.filter(PushTargetRecord.Columns.appId == appId) }
        let ruleIds = Set(try request.fetchAll(db).map(\.pushRuleId))
        guard !ruleIds.isEmpty else { return [] }
        return try PushRuleRecord.filter(ruleIds.contains(PushRuleRecord.Columns.id)).order(PushRuleRecord.Columns.name).fetchAll(db).map(\.name)
    }

    /// Refuses deleting an enterprise or an app that push rules send through, naming the rules.
    static func refuseIfPushTargets(_ db: Database, enterpriseId: Int64? = nil, appId: Int64? = nil, what: String) throws {
        let rules = try rulesTargeting(db, enterpriseId: enterpriseId, appId: appId)
        guard rules.isEmpty else {
            throw StoreError.inUse("\(what) is a target of push rules: \(rules.joined(separator: ", ")); remove it from them first")
        }
    }

    static func pushRule(_ db: Database, tenantId: Int64, id: Int64) throws -> PushRuleRecord {
        guard let rule = try PushRuleRecord.fetchOne(db, key: id), rule.tenantId == tenantId else {
            throw StoreError.notFound("push rule \(id)")
        }
        return rule
    }

    static func detail(_ db: Database, _ rule: PushRuleRecord) throws -> PushRuleDetail {
        let targets = try PushTargetRecord.filter(PushTargetRecord.Columns.pushRuleId == rule.id).order(PushTargetRecord.Columns.position, PushTargetRecord.Columns.id).fetchAll(db)
        return PushRuleDetail(rule: rule, targets: try targets.map { target in
            let (app, enterprise) = try Self.app(db, tenantId: rule.tenantId, id: target.appId)
            return PushRuleDetail.Target(record: target, app: app, enterprise: enterprise)
        })
    }
}

extension OAModuleRecord {
    var auditTarget: String { "oaModule \(id ?? 0) \(key)" }

    func auditView(secretMask: String?) -> [String: String] {
        var view = ["key": key, "name": name]
        if let actionURL { view["actionURL"] = actionURL }
        if let secretMask { view["actionSecret"] = secretMask }
        return view
    }
}

extension PushRuleRecord {
    var auditTarget: String { "pushRule \(id ?? 0) \(name)" }
}

extension PushRuleDetail {
    var auditView: [String: String] {
        var view = ["name": rule.name, "source": rule.source, "enabled": "\(rule.enabled)"]
        view["targets"] = targets.map { target in
            "\(target.enterprise.name) / \(target.app.name) (\(target.app.appID)): \(target.record.type)"
                + (target.record.quickApproval ? " + quick approval" : "")
        }.joined(separator: "; ")
        return view
    }
}

extension PushRuleRepository: PushRuleStore {}
