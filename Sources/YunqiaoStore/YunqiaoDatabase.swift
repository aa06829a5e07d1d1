import Foundation
import GRDB
import YunqiaoCore

/// The only door to Yunqiao's database. Opening it migrates it; its repositories, one per aggregate, hold the reads and
/// writes, and every write method is one transaction.
public struct YunqiaoDatabase: Sendable {
    private let writer: any DatabaseWriter
    public let secrets: SecretBox

    /// Tenants, the external domain, enterprises, Feishu apps and homepage apps.
    public let integration: IntegrationRepository
    /// The Feishu directory mirror and its sync runs.
    public let mirror: MirrorRepository
    /// The OA directory (departments and users).
    public let oaDirectory: OADirectoryRepository
    /// Bindings of OA users to Feishu users, conflicts, auto-bind and the association sheet.
    public let bindings: BindingRepository
    /// The OA connector and its runs.
    public let oaConnectors: OAConnectorRepository
    /// OA modules, push rules and their targets.
    public let pushRules: PushRuleRepository
    /// Accepting messages, todos, the message log and dead letters.
    public let messages: MessageRepository
    /// The workers' side of the outbox: deliveries, card updates and card actions.
    public let outbox: OutboxRepository
    /// Quick-approval card clicks and the actions they became.
    public let cardActions: CardActionRepository
    /// Administrators, API tokens, OA keys, sessions and the audit log.
    public let admins: AdminRepository
    /// Mode 3 (OA → Feishu): settings, runs, the apply journal.
    public let oaToFeishu: OAToFeishuRepository
    /// The directory syncs' schedules.
    public let schedules: SyncScheduleRepository
    /// The OpenID Connect provider: OA clients and signing keys.
    public let oidc: OIDCRepository
    /// OA todos in Feishu's Approval Center: definitions, instances, quick approval from there, reconciliation.
    public let approvalCenter: ApprovalCenterRepository
    /// Feishu's contact events: the inbox, their application to the mirror, parked scope removals.
    public let directoryEvents: DirectoryEventRepository

    public init(_ writer: any DatabaseWriter, secrets: SecretBox) throws {
        self.writer = writer
        self.secrets = secrets
        integration = IntegrationRepository(writer: writer, secrets: secrets)
        mirror = MirrorRepository(writer: writer)
        oaDirectory = OADirectoryRepository(writer: writer)
        bindings = BindingRepository(writer: writer)
        oaConnectors = OAConnectorRepository(writer: writer, secrets: secrets)
        pushRules = PushRuleRepository(writer: writer, secrets: secrets)
        messages = MessageRepository(writer: writer)
        outbox = OutboxRepository(writer: writer, secrets: secrets)
        cardActions = CardActionRepository(writer: writer)
        admins = AdminRepository(writer: writer)
        oaToFeishu = OAToFeishuRepository(writer: writer)
        schedules = SyncScheduleRepository(writer: writer)
        oidc = OIDCRepository(writer: writer, secrets: secrets)
        approvalCenter = ApprovalCenterRepository(writer: writer)
        directoryEvents = DirectoryEventRepository(writer: writer)
        try Migrations.migrator.migrate(writer)
    }

    /// The embedded default: a SQLite file in WAL mode (one writer, parallel readers). The secret key comes from
    /// `YUNQIAO_SECRET_KEY` or `<file>.key` beside the database, created on first run (never while the database holds
    /// sealed values, never over an existing file). The database, its `-wal` and `-shm` files and the key file are
    /// made 0600. Throws ``DatabaseFileError`` or ``SecretBox/KeyError``, naming the file and the cause.
    public static func open(path: String) throws -> YunqiaoDatabase {
        try DatabaseFile.load(path: path)
    }

    /// A private in-memory database, for tests.
    public static func inMemory() throws -> YunqiaoDatabase {
        try YunqiaoDatabase(DatabaseQueue(), secrets: .ephemeral())
    }

    public var reader: any DatabaseReader { writer }

    /// The errors of the store: ``YunqiaoCore/YunqiaoError``.
    public typealias StoreError = YunqiaoError

    /// Throws when the database cannot be read (for `/healthz`).
    public func healthCheck() async throws {
        _ = try await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}

extension YunqiaoDatabase: BridgeStore {}
