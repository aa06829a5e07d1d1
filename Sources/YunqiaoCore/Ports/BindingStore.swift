import Foundation

/// Bindings of OA users to Feishu users, conflicts, auto-bind and the association sheet.
public protocol BindingStore: Sendable {
    /// A page of an enterprise's bindings, by OA user name; `query` matches the OA user's name, login id or oa id or the
    /// Feishu user's name (substring), `method` one method.
    func bindingEntries(enterpriseId: Int64, query: String, method: String?, limit: Int?, offset: Int)
        async throws -> (total: Int, entries: [BindingEntry])

    /// The binding of a Feishu user (by union_id) with names, or nil.
    func bindingEntry(enterpriseId: Int64, unionID: String) async throws -> BindingEntry?

    /// The bindings of one OA user in every enterprise of the tenant, with the Feishu users' names.
    func bindingEntries(tenantId: Int64, oaUserID: String) async throws -> [BindingEntry]

    /// The bindings of these Feishu users (by union_id) in an enterprise, with names (a directory page's binding column).
    func bindingEntries(enterpriseId: Int64, unionIDs: [String]) async throws -> [BindingEntry]

    /// The bindings of these OA users in every enterprise of the tenant, with names (the OA directory's binding column).
    func bindingEntries(tenantId: Int64, oaUserIDs: [String]) async throws -> [BindingEntry]

    /// A page of the conflict queue (by Feishu user name) with each conflict's candidates as they are now.
    func bindingConflictEntries(enterpriseId: Int64, limit: Int, offset: Int) async throws
        -> (total: Int, entries: [BindingConflictEntry])

    /// Takes a Feishu user off the conflict queue without binding them (the admin decided to leave them unbound). The
    /// next auto-bind pass checks the user again. Audited as `binding.conflict.dismiss` with what the conflict was.
    func dismissBindingConflict(tenantId: Int64, enterpriseId: Int64, unionID: String, by actor: AuditActor) async throws

    /// Which of `oaUserIDs` are bound in an enterprise: OA user id → the Feishu user's union_id.
    func boundFeishuUsers(enterpriseId: Int64, oaUserIDs: [String]) async throws -> [String: String]

    /// One page of the export: live Feishu users of the enterprise by name then union_id, after `cursor`, with their
    /// departments' names (primary first) and the login id of the OA user each is bound to. Paging by key keeps a
    /// 100 000-user export to one page in memory at a time.
    func bindingSheetPage(tenantId: Int64, enterpriseId: Int64, after cursor: BindingSheetCursor?, limit: Int) async throws
        -> [BindingSheet.ExportRow]

    /// Imports a filled sheet: plans every row with ``BindingSheet/plan(_:field:feishu:oa:bound:)`` against the live
    /// mirror, the tenant's OA users and the enterprise's bindings, then — unless `dryRun` — writes the `bound` rows
    /// as bindings (method `import`, the field recorded) in one transaction, each audited as `binding.bind` like a bind
    /// on the user card, plus one `binding.import` summary. The plan is made inside that transaction, so what it says
    /// is what was written. A dry run only reads.
    func importBindingSheet(tenantId: Int64, enterpriseId: Int64, rows: [BindingSheet.Row], field: BindingSheet.Field,
                            dryRun: Bool, by actor: AuditActor) async throws -> BindingSheet.Plan

    func all(enterpriseId: Int64) async throws -> [BindingRecord]

    func bindingConflicts(enterpriseId: Int64) async throws -> [BindingConflictRecord]

    /// Auto-bind by field for an enterprise: reads the live Feishu mirror, the active OA users of the tenant and the
    /// existing bindings, plans with ``AutoBinder`` and writes the new bindings and the conflict queue (replaced
    /// as a whole) in one transaction with its audit entry.
    @discardableResult
    func autoBind(tenantId: Int64, enterpriseId: Int64, fields: [BindingField], by actor: AuditActor,
                  at time: Date) async throws -> AutoBindResult

    /// Auto-bind for one Feishu user (at their first visit): the same plan as a whole pass — so a value that two Feishu
    /// users or two OA users share still binds nobody — but only this user's binding is written, audited as
    /// `binding.auto` when made. The conflict queue is left to the next whole pass. Returns the binding, or nil.
    @discardableResult
    func autoBindUser(tenantId: Int64, enterpriseId: Int64, unionID: String, fields: [BindingField], by actor: AuditActor,
                      at time: Date) async throws -> BindingRecord?

    func bindingSettings(tenantId: Int64, enterpriseId: Int64) async throws -> BindingSettings

    func setBindingSettings(tenantId: Int64, enterpriseId: Int64, _ settings: BindingSettings, by actor: AuditActor) async throws
        -> BindingSettings

    /// Binds an OA user to a Feishu user by hand (user card, import sheet): both must exist, neither may be bound.
    ///
    /// A user who just signed in with Feishu (`signedIn`, from `user_info`) may bind before the mirror holds them: the
    /// ids the login vouched for are stored then.
    @discardableResult
    func bind(tenantId: Int64, enterpriseId: Int64, oaUserID: String, unionID: String, method: String, field: String?,
              signedIn: SignedInFeishuUser?, by actor: AuditActor) async throws -> BindingRecord

    /// Unbinds one OA user; the audit log keeps what the binding was.
    func unbind(tenantId: Int64, enterpriseId: Int64, oaUserID: String, by actor: AuditActor) async throws

    /// Batch unbind: every binding of an enterprise, with one audit entry per binding. Returns how many.
    @discardableResult
    func unbindAll(tenantId: Int64, enterpriseId: Int64, by actor: AuditActor) async throws -> Int

    /// The binding of a Feishu user (by union_id) in an enterprise.
    func binding(enterpriseId: Int64, unionID: String) async throws -> BindingRecord?
}

/// A binding with the names the console shows: the OA user's and the Feishu user's.
public struct BindingEntry: Sendable, Equatable {
    public var binding: BindingRecord
    public var oaName: String?
    public var oaLoginID: String?
    public var feishuName: String?

    public init(binding: BindingRecord, oaName: String? = nil, oaLoginID: String? = nil, feishuName: String? = nil) {
        self.binding = binding
        self.oaName = oaName
        self.oaLoginID = oaLoginID
        self.feishuName = feishuName
    }
}

/// A conflict of the queue with the Feishu user's name and its candidates as they are now.
public struct BindingConflictEntry: Sendable, Equatable {
    public struct Candidate: Sendable, Equatable {
        public var oaID: String
        /// Nil when the OA user no longer exists.
        public var name: String?
        public var loginID: String?
        public var status: String?
        /// The Feishu user (union_id) the OA user is bound to in this enterprise, if any.
        public var boundTo: String?

        public init(oaID: String, name: String? = nil, loginID: String? = nil, status: String? = nil, boundTo: String? = nil) {
            self.oaID = oaID
            self.name = name
            self.loginID = loginID
            self.status = status
            self.boundTo = boundTo
        }
    }

    public var conflict: BindingConflictRecord
    public var feishuName: String?
    public var candidates: [Candidate]

    public init(conflict: BindingConflictRecord, feishuName: String? = nil, candidates: [Candidate]) {
        self.conflict = conflict
        self.feishuName = feishuName
        self.candidates = candidates
    }
}

/// Where a page of the export ends: the last row's name and union_id (the export is ordered by both).
public struct BindingSheetCursor: Sendable, Equatable {
    public var name: String
    public var unionID: String

    public init(after row: BindingSheet.ExportRow) {
        name = row.name
        unionID = row.unionID
    }
}

/// What an auto-bind pass did.
public struct AutoBindResult: Sendable, Equatable {
    public var bound: Int
    public var conflicts: Int
    public var unmatched: Int
    public var byField: [BindingField: Int]

    public init(bound: Int, conflicts: Int, unmatched: Int, byField: [BindingField: Int]) {
        self.bound = bound
        self.conflicts = conflicts
        self.unmatched = unmatched
        self.byField = byField
    }
}

/// Auto-bind settings of an enterprise: one setting, seen from the directory page and the binding page alike.
public struct BindingSettings: Codable, Sendable, Equatable {
    public var autoBindEnabled: Bool
    /// In precedence order.
    public var fields: [BindingField]

    public init(autoBindEnabled: Bool = false, fields: [BindingField] = [.employeeNo, .mobile, .email]) {
        self.autoBindEnabled = autoBindEnabled
        self.fields = fields
    }
}
