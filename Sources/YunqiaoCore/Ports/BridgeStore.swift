import Foundation

/// The bridge's storage as the use cases see it: one port per aggregate, each a `Sendable` protocol declared here in
/// Core. `YunqiaoStore` implements them on SQLite (``YunqiaoStore/YunqiaoDatabase``); a second backend implements the
/// same protocols. A use case holds `any BridgeStore` and never sees a database type, a record request or SQL.
///
/// Every write method of a port is one transaction; the refusals are ``YunqiaoError``s.
public protocol BridgeStore: Sendable {
    associatedtype Integration: IntegrationStore
    associatedtype Mirror: MirrorStore
    associatedtype OADirectory: OADirectoryStore
    associatedtype Bindings: BindingStore
    associatedtype OAConnectors: OAConnectorStore
    associatedtype PushRules: PushRuleStore
    associatedtype Messages: MessageStore
    associatedtype Outbox: OutboxStore
    associatedtype CardActions: CardActionStore
    associatedtype Admins: AdminStore
    associatedtype OAToFeishu: OAToFeishuStore
    associatedtype Schedules: SyncScheduleStore
    associatedtype OIDC: OIDCStore
    associatedtype ApprovalCenter: ApprovalCenterStore
    associatedtype DirectoryEvents: DirectoryEventStore

    /// Tenants, the external domain, enterprises, Feishu apps and homepage apps.
    var integration: Integration { get }
    /// The Feishu directory mirror and its sync runs.
    var mirror: Mirror { get }
    /// The OA directory (departments and users).
    var oaDirectory: OADirectory { get }
    /// Bindings of OA users to Feishu users, conflicts, auto-bind and the association sheet.
    var bindings: Bindings { get }
    /// The OA connector and its runs.
    var oaConnectors: OAConnectors { get }
    /// OA modules, push rules and their targets.
    var pushRules: PushRules { get }
    /// Accepting messages, todos, the message log and dead letters.
    var messages: Messages { get }
    /// The workers' side of the outbox: deliveries, card updates and card actions.
    var outbox: Outbox { get }
    /// Quick-approval card clicks and the actions they became.
    var cardActions: CardActions { get }
    /// Administrators, API tokens, OA keys, sessions and the audit log.
    var admins: Admins { get }
    /// Mode 3 (OA → Feishu): settings, runs, the apply journal.
    var oaToFeishu: OAToFeishu { get }
    /// The directory syncs' schedules (modes 1 and 3).
    var schedules: Schedules { get }
    /// The OpenID Connect provider: OA clients and signing keys.
    var oidc: OIDC { get }
    /// OA todos in Feishu's Approval Center: definitions, instances, quick approval from there, reconciliation.
    var approvalCenter: ApprovalCenter { get }
    /// Feishu's contact events: the inbox, their application to the mirror, parked scope removals.
    var directoryEvents: DirectoryEvents { get }

    /// Throws when the database cannot be read (for `/healthz`).
    func healthCheck() async throws
}
