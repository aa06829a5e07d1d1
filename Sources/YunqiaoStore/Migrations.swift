import GRDB

/// Schema history. A shipped migration is never modified; changes come as new migrations.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tenants, enterprises, apps, Feishu mirror, sync runs") { db in
            try db.create(table: "tenant") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull().unique()
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "enterprise") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("name", .text).notNull()
                t.column("brand", .text).notNull()
                t.column("baseURL", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.uniqueKey(["tenantId", "name"])
            }
            try db.create(table: "app") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("enterprise", onDelete: .restrict).notNull()
                t.column("name", .text).notNull()
                t.column("appID", .text).notNull()
                t.column("sealedSecret", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.uniqueKey(["enterpriseId", "appID"])
            }
            try db.create(table: "feishuDepartment") { t in
                t.belongsTo("enterprise", onDelete: .cascade).notNull()
                t.column("openDepartmentID", .text).notNull()
                t.column("departmentID", .text)
                t.column("name", .text).notNull()
                t.column("parentOpenDepartmentID", .text).notNull()
                t.column("sortOrder", .integer).notNull()
                t.column("leaderOpenID", .text)
                t.column("deletedAt", .datetime)
                t.column("updatedAt", .datetime).notNull()
                t.primaryKey(["enterpriseId", "openDepartmentID"])
            }
            try db.create(index: "feishuDepartment_parent", on: "feishuDepartment", columns: ["enterpriseId", "parentOpenDepartmentID"])
            try db.create(table: "feishuUser") { t in
                t.belongsTo("enterprise", onDelete: .cascade).notNull()
                t.column("unionID", .text).notNull()
                t.column("openID", .text)
                t.column("userID", .text)
                t.column("name", .text).notNull()
                t.column("enName", .text)
                t.column("email", .text)
                t.column("mobile", .text)
                t.column("employeeNo", .text)
                t.column("jobTitle", .text)
                t.column("employeeType", .integer)
                t.column("departmentIDs", .text).notNull()  // JSON array, primary first
                t.column("leaderOpenID", .text)
                t.column("isFrozen", .boolean)
                t.column("isResigned", .boolean)
                t.column("isActivated", .boolean)
                t.column("deletedAt", .datetime)
                t.column("updatedAt", .datetime).notNull()
                t.primaryKey(["enterpriseId", "unionID"])
            }
            try db.create(index: "feishuUser_openID", on: "feishuUser", columns: ["enterpriseId", "openID"])
            try db.create(index: "feishuUser_userID", on: "feishuUser", columns: ["enterpriseId", "userID"])
            try db.create(table: "feishuUserDepartment") { t in
                t.column("enterpriseId", .integer).notNull()
                t.column("unionID", .text).notNull()
                t.column("openDepartmentID", .text).notNull()
                t.column("position", .integer).notNull()  // 0 = primary department
                t.primaryKey(["enterpriseId", "unionID", "openDepartmentID"])
                t.foreignKey(["enterpriseId", "unionID"], references: "feishuUser", onDelete: .cascade)
            }
            try db.create(index: "feishuUserDepartment_department", on: "feishuUserDepartment",
                          columns: ["enterpriseId", "openDepartmentID"])
            try db.create(table: "syncRun") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("enterprise", onDelete: .cascade).notNull()
                t.column("kind", .text).notNull()
                t.column("status", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.column("report", .text)  // JSON SyncReport
                t.column("error", .text)
            }
        }
        return migrator
    }
}
