import Foundation

/// OA modules, push rules and their targets.
public protocol PushRuleStore: Sendable {
    func oaModules(tenantId: Int64) async throws -> [OAModuleRecord]

    func oaModule(tenantId: Int64, id: Int64) async throws -> OAModuleRecord

    /// The module messages name as `source`, or nil.
    func oaModule(tenantId: Int64, key: String) async throws -> OAModuleRecord?

    /// The plaintext action secret of a module (for signing action webhooks only), or nil when none is set.
    func actionSecret(of module: OAModuleRecord) throws -> String?

    /// The mask of a module's action secret (last 4 characters), or nil when none is set.
    func actionSecretMask(of module: OAModuleRecord) -> String?

    /// Registers a module. `key` is what messages and rules name it by: letters, digits, `-`, `_`, `.`; fixed once created.
    func createOAModule(tenantId: Int64, key: String, name: String, actionURL: String?, actionSecret: String?,
                        by actor: AuditActor) async throws -> OAModuleRecord

    /// Edits a module's name and action webhook. A nil or empty `actionSecret` keeps the stored one; `clearActionSecret`
    /// removes it. The key cannot change (rules and messages name it).
    func updateOAModule(tenantId: Int64, id: Int64, key: String?, name: String, actionURL: String?, actionSecret: String?,
                        clearActionSecret: Bool, by actor: AuditActor) async throws -> OAModuleRecord

    /// Deletes a module. Refused while push rules take its messages; the error names them.
    func deleteOAModule(tenantId: Int64, id: Int64, by actor: AuditActor) async throws

    func all(tenantId: Int64) async throws -> [PushRuleDetail]

    func pushRule(tenantId: Int64, id: Int64) async throws -> PushRuleDetail

    func createPushRule(tenantId: Int64, _ input: PushRuleInput, by actor: AuditActor) async throws -> PushRuleDetail

    /// Replaces a rule's name, source, switch and targets (targets with an `id` are kept, the others added; targets not
    /// listed are removed). Without `targets` the targets stay as they are.
    func updatePushRule(tenantId: Int64, id: Int64, _ input: PushRuleInput, by actor: AuditActor) async throws -> PushRuleDetail

    func deletePushRule(tenantId: Int64, id: Int64, by actor: AuditActor) async throws
}

/// A target as an admin enters it; `id` keeps an existing target of the rule (its test-send link stays valid).
public struct PushTargetInput: Sendable, Equatable, Codable {
    public var id: Int64?
    public var enterpriseId: Int64
    public var appId: Int64
    public var type: String
    public var quickApproval: Bool?

    public init(id: Int64? = nil, enterpriseId: Int64, appId: Int64, type: String, quickApproval: Bool? = nil) {
        self.id = id
        self.enterpriseId = enterpriseId
        self.appId = appId
        self.type = type
        self.quickApproval = quickApproval
    }
}

public struct PushRuleInput: Sendable, Equatable, Codable {
    public var name: String
    /// A registered module's key, or `*` (every module).
    public var source: String
    public var enabled: Bool?
    public var targets: [PushTargetInput]?

    public init(name: String, source: String, enabled: Bool? = nil, targets: [PushTargetInput]? = nil) {
        self.name = name
        self.source = source
        self.enabled = enabled
        self.targets = targets
    }
}

/// A rule with its targets, and each target's app and enterprise (for display).
public struct PushRuleDetail: Sendable, Equatable {
    public struct Target: Sendable, Equatable {
        public var record: PushTargetRecord
        public var app: AppRecord
        public var enterprise: EnterpriseRecord

        public init(record: PushTargetRecord, app: AppRecord, enterprise: EnterpriseRecord) {
            self.record = record
            self.app = app
            self.enterprise = enterprise
        }
    }

    public var rule: PushRuleRecord
    public var targets: [Target]

    public init(rule: PushRuleRecord, targets: [Target]) {
        self.rule = rule
        self.targets = targets
    }
}
