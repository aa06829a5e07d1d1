import Foundation
import GRDB
import YunqiaoCore

/// The only door to Yunqiao's database. Opening it migrates it; every write method is one transaction.
public struct YunqiaoDatabase: Sendable {
    private let writer: any DatabaseWriter
    public let secrets: SecretBox

    public init(_ writer: any DatabaseWriter, secrets: SecretBox) throws {
        self.writer = writer
        self.secrets = secrets
        try Migrations.migrator.migrate(writer)
    }

    /// The embedded default: a SQLite file in WAL mode (one writer, parallel readers). The secret key comes from
    /// `YUNQIAO_SECRET_KEY` or `<file>.key` beside the database, created on first run.
    public static func open(path: String) throws -> YunqiaoDatabase {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA foreign_keys = ON") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        return try YunqiaoDatabase(pool, secrets: SecretBox.load(keyFile: path + ".key"))
    }

    /// A private in-memory database, for tests.
    public static func inMemory() throws -> YunqiaoDatabase {
        try YunqiaoDatabase(DatabaseQueue(), secrets: .ephemeral())
    }

    public var reader: any DatabaseReader { writer }

    /// For the store's own extensions: one write transaction.
    func write<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.write(updates)
    }

    /// For the store's own extensions: one read.
    func read<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.read(value)
    }

    // MARK: tenants, enterprises, apps

    /// The errors of the store: ``YunqiaoCore/YunqiaoError``.
    public typealias StoreError = YunqiaoError

    /// The tenant named `name`, created when missing.
    public func tenant(named name: String = "default") async throws -> TenantRecord {
        try await writer.write { db in
            if let existing = try TenantRecord.filter(Column("name") == name).fetchOne(db) { return existing }
            var tenant = TenantRecord(id: nil, name: name, createdAt: Date())
            try tenant.insert(db)
            return tenant
        }
    }

    /// The plaintext secret of an app, for the Feishu client only.
    public func secret(of app: AppRecord) throws -> String { try secrets.open(app.sealedSecret) }

    // MARK: Feishu mirror

    /// The live (not deleted) mirror of an enterprise.
    public func mirror(enterpriseId: Int64) async throws -> DirectoryMirror {
        try await writer.read { db in
            var mirror = DirectoryMirror()
            let departments = try FeishuDepartmentRecord.filter(Column("enterpriseId") == enterpriseId && Column("deletedAt") == nil)
                .fetchCursor(db)
            while let record = try departments.next() { mirror.departments[record.openDepartmentID] = record.mirror }
            let users = try FeishuUserRecord.filter(Column("enterpriseId") == enterpriseId && Column("deletedAt") == nil).fetchCursor(db)
            while let record = try users.next() { mirror.users[record.unionID] = record.mirror }
            return mirror
        }
    }

    /// Applies a plan in one transaction: all of it or nothing. Deleted entries are marked, not dropped.
    /// An empty plan writes nothing.
    public func apply(_ plan: SyncPlan, enterpriseId: Int64, at time: Date = Date()) async throws {
        guard !plan.isEmpty else { return }
        try await writer.write { db in
            for department in plan.departments.created + plan.departments.updated {
                try FeishuDepartmentRecord(department, enterpriseId: enterpriseId, at: time).upsert(db)
            }
            let clearDepartments = try db.cachedStatement(sql: "DELETE FROM feishuUserDepartment WHERE enterpriseId = ? AND unionID = ?")
            let addDepartment = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO feishuUserDepartment (enterpriseId, unionID, openDepartmentID, position) VALUES (?, ?, ?, ?)
                """)
            for (user, isNew) in plan.users.created.map({ ($0, true) }) + plan.users.updated.map({ ($0, false) }) {
                try FeishuUserRecord(user, enterpriseId: enterpriseId, at: time).upsert(db)
                // A created user may be a deleted one coming back: its memberships were cleared when it was deleted.
                if !isNew { try clearDepartments.execute(arguments: [enterpriseId, user.unionID]) }
                for (position, department) in user.departmentIDs.enumerated() {
                    try addDepartment.execute(arguments: [enterpriseId, user.unionID, department, position])
                }
            }
            let deleteDepartment = try db.cachedStatement(sql: """
                UPDATE feishuDepartment SET deletedAt = ?, updatedAt = ? WHERE enterpriseId = ? AND openDepartmentID = ?
                """)
            for key in plan.departments.deleted { try deleteDepartment.execute(arguments: [time, time, enterpriseId, key]) }
            let deleteUser = try db.cachedStatement(sql: "UPDATE feishuUser SET deletedAt = ?, updatedAt = ? WHERE enterpriseId = ? AND unionID = ?")
            for key in plan.users.deleted {
                try deleteUser.execute(arguments: [time, time, enterpriseId, key])
                try clearDepartments.execute(arguments: [enterpriseId, key])
            }
        }
    }

    /// When each deleted entry was marked deleted, by key.
    public func deletedAt(enterpriseId: Int64) async throws -> (departments: [String: Date], users: [String: Date]) {
        try await writer.read { db in
            var departments: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT openDepartmentID, deletedAt FROM feishuDepartment WHERE enterpriseId = ? AND deletedAt IS NOT NULL",
                                        arguments: [enterpriseId]) {
                departments[row["openDepartmentID"]] = row["deletedAt"]
            }
            var users: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT unionID, deletedAt FROM feishuUser WHERE enterpriseId = ? AND deletedAt IS NOT NULL",
                                        arguments: [enterpriseId]) {
                users[row["unionID"]] = row["deletedAt"]
            }
            return (departments, users)
        }
    }

    /// Live users directly in a department (any position), in name order.
    public func users(inDepartment openDepartmentID: String, enterpriseId: Int64) async throws -> [MirrorUser] {
        try await writer.read { db in
            try FeishuUserRecord.fetchAll(db, sql: """
                SELECT u.* FROM feishuUser u JOIN feishuUserDepartment d ON d.enterpriseId = u.enterpriseId AND d.unionID = u.unionID
                WHERE u.enterpriseId = ? AND d.openDepartmentID = ? AND u.deletedAt IS NULL ORDER BY u.name
                """, arguments: [enterpriseId, openDepartmentID]).map(\.mirror)
        }
    }

    // MARK: sync runs

    public func startSyncRun(enterpriseId: Int64, kind: String) async throws -> SyncRunRecord {
        try await writer.write { db in
            var run = SyncRunRecord(id: nil, enterpriseId: enterpriseId, kind: kind, status: SyncReport.Status.running.rawValue,
                                    startedAt: Date(), finishedAt: nil, report: nil, error: nil)
            try run.insert(db)
            return run
        }
    }

    public func finishSyncRun(_ run: SyncRunRecord, report: SyncReport) async throws {
        var finished = run
        finished.status = report.status.rawValue
        finished.finishedAt = Date()
        finished.report = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        finished.error = report.error
        let record = finished
        try await writer.write { db in try record.update(db) }
    }

    public func syncRuns(enterpriseId: Int64, limit: Int = 50) async throws -> [SyncRunRecord] {
        try await writer.read { db in
            try SyncRunRecord.filter(Column("enterpriseId") == enterpriseId).order(Column("id").desc).limit(limit).fetchAll(db)
        }
    }
}
