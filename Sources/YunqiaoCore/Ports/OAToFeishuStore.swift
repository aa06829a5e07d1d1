import Foundation

/// Mode 3 (OA → Feishu): its settings per enterprise, its runs with their plans, the journal of applied items, and
/// what runs leave for the next (department links, disable times).
public protocol OAToFeishuStore: Sendable {
    /// The enterprise's settings (``OAToFeishuSettings/standard`` until saved).
    func oaToFeishuSettings(enterpriseId: Int64) async throws -> OAToFeishuSettings

    /// Saves the settings (checked: ``YunqiaoError/invalid(field:message:)`` names the field), audited as
    /// `oaToFeishu.settings`.
    @discardableResult
    func setOAToFeishuSettings(tenantId: Int64, enterpriseId: Int64, _ settings: OAToFeishuSettings, by actor: AuditActor, at time: Date)
        async throws -> OAToFeishuSettings

    func oaToFeishuMemory(enterpriseId: Int64) async throws -> OAToFeishuMemory

    /// When a run froze the user (the delayed delete counts from it); nil when no run did, or it was undone.
    func oaToFeishuDisabledAt(enterpriseId: Int64, unionID: String) async throws -> Date?

    /// An admin unfroze a user a run had frozen (undo within the grace window): the delayed delete is off. Audited as
    /// `oaToFeishu.unfreeze`.
    func releaseOAToFeishuDisabled(tenantId: Int64, enterpriseId: Int64, unionID: String, name: String, by actor: AuditActor, at time: Date)
        async throws

    /// Every OA user of the tenant (left ones too).
    func allOAUsers(tenantId: Int64) async throws -> [OAUserRecord]

    /// Stores a new run (a preview, a parked plan or one to apply), audited as `oaToFeishu.plan`.
    func createOAToFeishuRun(_ run: OAToFeishuRunRecord, by actor: AuditActor) async throws -> OAToFeishuRunRecord

    func oaToFeishuRun(tenantId: Int64, id: Int64) async throws -> OAToFeishuRunRecord

    func oaToFeishuRuns(enterpriseId: Int64, limit: Int) async throws -> [OAToFeishuRunRecord]

    /// Runs left `applying` (by a crash or a stop): resumed at startup.
    func applyingOAToFeishuRuns() async throws -> [OAToFeishuRunRecord]

    /// An admin's decision on a parked run: `applying` (approved) or `discarded`; refused unless the run is parked.
    /// Audited as `oaToFeishu.approve` / `oaToFeishu.discard`.
    func decideOAToFeishuRun(tenantId: Int64, id: Int64, approve: Bool, by actor: AuditActor, at time: Date) async throws
        -> OAToFeishuRunRecord

    /// The journal of a run: its applied items by position.
    func oaToFeishuSteps(runId: Int64) async throws -> [Int: OAToFeishuStepRecord]

    /// Journals one applied item with what it leaves (a link, a binding, a disable time), in one transaction.
    func recordOAToFeishuStep(_ step: OAToFeishuStepRecord, enterpriseId: Int64, effect: OAToFeishuEffect) async throws

    /// Ends a run: `applied` or `partial` with its report (JSON of ``OAToFeishuReport``), or `failed` with the error;
    /// an applied run's active-user count becomes the next threshold's base.
    func finishOAToFeishuRun(id: Int64, status: OAToFeishuRunRecord.Status, report: String?, error: String?, activeOAUsers: Int?,
                             at time: Date) async throws
}
