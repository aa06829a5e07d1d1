import GRDB
import YunqiaoCore

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
        migrator.registerMigration("v2: settings, OA homepage apps, app homepage, admins, API tokens, audit log, sessions") { db in
            try db.create(table: "tenantSetting") { t in
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("key", .text).notNull()
                t.column("value", .text).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.primaryKey(["tenantId", "key"])
            }
            try db.create(table: "homepageApp") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("name", .text).notNull()
                t.column("url", .text).notNull()
                t.column("note", .text).notNull().defaults(to: "")
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.uniqueKey(["tenantId", "name"])
            }
            try db.alter(table: "app") { t in
                t.add(column: "homepageAppId", .integer).references("homepageApp", onDelete: .restrict)
                t.add(column: "homepageURL", .text)
            }
            try db.create(table: "admin") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("username", .text).notNull().unique()
                t.column("passwordHash", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "apiToken") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("name", .text).notNull()
                t.column("tokenHash", .text).notNull().unique()
                t.column("hint", .text).notNull()
                t.column("createdBy", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("lastUsedAt", .datetime)
                t.column("revokedAt", .datetime)
            }
            try db.create(table: "auditLog") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("actor", .text).notNull()
                t.column("action", .text).notNull()
                t.column("target", .text).notNull()
                t.column("before", .text)
                t.column("after", .text)
                t.column("at", .datetime).notNull()
            }
            try db.create(index: "auditLog_tenant_at", on: "auditLog", columns: ["tenantId", "at"])
            try db.create(table: "persistEntry") { t in
                t.primaryKey("key", .text)
                t.column("value", .blob).notNull()
                t.column("expiresAt", .datetime)
            }
        }
        migrator.registerMigration("v3: OA directory, bindings, auto-bind settings and conflicts") { db in
            try db.create(table: "oaSubcompany") { t in
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("oaID", .text).notNull()
                t.column("name", .text).notNull()
                t.column("parentOaID", .text)
                t.column("updatedAt", .datetime).notNull()
                t.primaryKey(["tenantId", "oaID"])
            }
            try db.create(table: "oaDepartment") { t in
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("oaID", .text).notNull()
                t.column("name", .text).notNull()
                t.column("parentOaID", .text)
                t.column("subcompanyOaID", .text)
                t.column("sortOrder", .integer).notNull().defaults(to: 0)
                t.column("updatedAt", .datetime).notNull()
                t.primaryKey(["tenantId", "oaID"])
            }
            try db.create(table: "oaUser") { t in
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("oaID", .text).notNull()
                t.column("loginID", .text).notNull()
                t.column("name", .text).notNull()
                t.column("mobile", .text)
                t.column("email", .text)
                t.column("employeeNo", .text)
                t.column("title", .text)
                t.column("departmentOaIDs", .text).notNull()  // JSON array, primary first, part-time after
                t.column("status", .text).notNull()  // active | left
                t.column("passwordHash", .text)
                t.column("updatedAt", .datetime).notNull()
                t.primaryKey(["tenantId", "oaID"])
                t.uniqueKey(["tenantId", "loginID"])
            }
            try db.create(table: "binding") { t in
                t.belongsTo("enterprise", onDelete: .cascade).notNull()
                t.column("oaUserID", .text).notNull()
                t.column("unionID", .text).notNull()
                t.column("openID", .text)
                t.column("userID", .text)
                t.column("method", .text).notNull()  // manual | auto | import | card
                t.column("field", .text)  // the field an auto/import binding matched by
                t.column("createdBy", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["enterpriseId", "oaUserID"])
                t.uniqueKey(["enterpriseId", "unionID"])
            }
            try db.create(table: "bindingConflict") { t in
                t.belongsTo("enterprise", onDelete: .cascade).notNull()
                t.column("unionID", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("field", .text).notNull()
                t.column("value", .text).notNull()
                t.column("oaUserIDs", .text).notNull()  // JSON array
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["enterpriseId", "unionID"])
            }
            try db.create(table: "bindingSetting") { t in
                t.belongsTo("enterprise", onDelete: .cascade).notNull()
                t.primaryKey(["enterpriseId"])
                t.column("autoBindEnabled", .boolean).notNull()
                t.column("fields", .text).notNull()  // JSON array of BindingField, in precedence order
                t.column("updatedAt", .datetime).notNull()
            }
        }
        migrator.registerMigration("v4: OA API keys") { db in
            try db.create(table: "oaKey") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("name", .text).notNull()
                t.column("keyHash", .text).notNull().unique()
                t.column("hint", .text).notNull()
                t.column("createdBy", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("lastUsedAt", .datetime)
                t.column("revokedAt", .datetime)
            }
        }
        migrator.registerMigration("v5: OA connector") { db in
            try db.create(table: "oaConnector") { t in
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.primaryKey(["tenantId"])
                t.column("baseURL", .text).notNull()
                t.column("sealedSecret", .text).notNull()
                t.column("enabled", .boolean).notNull()
                t.column("intervalMinutes", .integer).notNull()
                t.column("loginCheck", .text).notNull()  // embedded | external
                t.column("updatedBy", .text).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.create(table: "oaConnectorRun") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("source", .text).notNull()  // schedule | manual
                t.column("startedBy", .text).notNull()
                t.column("status", .text).notNull()  // running | succeeded | failed
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.column("pagesFetched", .integer).notNull().defaults(to: 0)
                t.column("departmentsFetched", .integer).notNull().defaults(to: 0)
                t.column("usersFetched", .integer).notNull().defaults(to: 0)
                t.column("createdCount", .integer).notNull().defaults(to: 0)
                t.column("updatedCount", .integer).notNull().defaults(to: 0)
                t.column("unchangedCount", .integer).notNull().defaults(to: 0)
                t.column("leftCount", .integer).notNull().defaults(to: 0)
                t.column("deletedCount", .integer).notNull().defaults(to: 0)
                t.column("error", .text)
                t.column("itemErrors", .text)  // JSON array of OAConnectorItemError, the first few
            }
            try db.create(index: "oaConnectorRun_tenant_status", on: "oaConnectorRun", columns: ["tenantId", "status"])
        }
        migrator.registerMigration("v6: message push") { db in
            try db.create(table: "oaModule") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("key", .text).notNull()
                t.column("name", .text).notNull()
                t.column("actionURL", .text)
                t.column("sealedActionSecret", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.uniqueKey(["tenantId", "key"])
            }
            try db.create(table: "pushRule") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("name", .text).notNull()
                t.column("source", .text).notNull()  // an oaModule key, or "*" for every module
                t.column("enabled", .boolean).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.uniqueKey(["tenantId", "name"])
            }
            try db.create(table: "pushTarget") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("pushRule", onDelete: .cascade).notNull()
                // Deleting an enterprise or app a target names is refused (naming the rules) before it reaches these.
                t.belongsTo("enterprise", onDelete: .restrict).notNull()
                t.belongsTo("app", onDelete: .restrict).notNull()
                t.column("type", .text).notNull()  // text | rich | card | todo
                t.column("quickApproval", .boolean).notNull()
                t.column("position", .integer).notNull()
            }
            try db.create(index: "pushTarget_app", on: "pushTarget", columns: ["appId"])
            try db.create(index: "pushTarget_enterprise", on: "pushTarget", columns: ["enterpriseId"])
            try db.create(table: "message") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("source", .text).notNull()
                t.column("idempotencyKey", .text).notNull()
                t.column("title", .text).notNull()
                t.column("todoId", .text)
                t.column("payload", .text).notNull()  // JSON PushMessage as accepted
                t.column("planned", .integer).notNull()  // deliveries planned and skipped at accept: the accept answer
                t.column("skipped", .integer).notNull()
                t.column("acceptedBy", .text).notNull()
                t.column("acceptedAt", .datetime).notNull()
                t.uniqueKey(["tenantId", "source", "idempotencyKey"])
            }
            try db.create(index: "message_tenant_todo", on: "message", columns: ["tenantId", "source", "todoId"])
            try db.create(table: "delivery") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("message", onDelete: .cascade).notNull()
                t.belongsTo("app", onDelete: .cascade).notNull()
                t.column("oaUserID", .text).notNull()
                t.column("type", .text).notNull()
                t.column("quickApproval", .boolean).notNull()
                t.column("state", .text).notNull()  // pending | sent | dead | skipped
                t.column("uuid", .text).notNull().unique()  // Feishu's idempotency key, fixed at plan time
                t.column("unionID", .text)
                t.column("feishuMessageID", .text)
                t.column("renderedState", .text)  // the todo state the card was sent in
                t.column("attempts", .integer).notNull()
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("claimedAt", .datetime)  // taken by the running worker; cleared at start
                t.column("lastError", .text)
                t.column("note", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("sentAt", .datetime)
                t.column("updatedAt", .datetime).notNull()
                t.uniqueKey(["messageId", "appId", "oaUserID"])
            }
            try db.execute(sql: """
                CREATE INDEX delivery_due ON delivery(nextAttemptAt, id) WHERE state = 'pending' AND claimedAt IS NULL
                """)
            try db.create(index: "delivery_state", on: "delivery", columns: ["state", "id"])
            try db.create(index: "delivery_recipient", on: "delivery", columns: ["oaUserID", "messageId"])
            try db.create(table: "todo") { t in
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.column("source", .text).notNull()
                t.column("todoId", .text).notNull()
                t.column("state", .text).notNull()  // pending | done | approved | rejected | cancelled
                t.column("actor", .text)
                t.column("at", .datetime)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.primaryKey(["tenantId", "source", "todoId"])
            }
            try db.create(table: "cardUpdate") { t in
                t.autoIncrementedPrimaryKey("id")
                t.belongsTo("delivery", onDelete: .cascade).notNull().unique()
                t.column("state", .text).notNull()  // pending | done | dead
                t.column("mode", .text)  // patch | notice: how it was done
                t.column("noticeMessageID", .text)
                t.column("attempts", .integer).notNull()
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("claimedAt", .datetime)
                t.column("lastError", .text)
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
            }
            try db.execute(sql: """
                CREATE INDEX cardUpdate_due ON cardUpdate(nextAttemptAt, id) WHERE state = 'pending' AND claimedAt IS NULL
                """)
        }
        migrator.registerMigration("v7: card actions") { db in
            // The app's callback credentials (飞书「事件与回调」→ 加密策略), sealed like the app secret.
            try db.alter(table: "app") { t in
                t.add(column: "sealedVerificationToken", .text)
                t.add(column: "sealedEncryptKey", .text)
            }
            // A quick-approval click on a todo card: the OA's action webhook is called from here, idempotent by actionId.
            try db.create(table: "cardAction") { t in
                t.primaryKey("actionId", .text)
                t.belongsTo("tenant", onDelete: .cascade).notNull()
                t.belongsTo("delivery", onDelete: .cascade).notNull()
                t.column("source", .text).notNull()
                t.column("todoId", .text).notNull()
                t.column("action", .text).notNull()  // approve | reject
                t.column("operatorUnionID", .text).notNull()
                t.column("operatorOpenID", .text)
                t.column("operatorOaUserID", .text).notNull()
                t.column("operatorName", .text).notNull()
                t.column("eventID", .text)  // header.event_id of the callback (new protocol)
                t.column("messageID", .text).notNull()  // the card's open_message_id
                t.column("state", .text).notNull()  // received | calling | done | failed
                t.column("attempts", .integer).notNull()
                t.column("nextAttemptAt", .datetime).notNull()
                t.column("result", .text)  // the last attempt's outcome, or why it failed
                t.column("cardError", .text)  // a failed action whose card could not be set back
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
            }
            try db.create(index: "cardAction_todo", on: "cardAction", columns: ["tenantId", "source", "todoId"])
            try db.execute(sql: """
                CREATE INDEX cardAction_due ON cardAction(nextAttemptAt) WHERE state IN ('received', 'calling')
                """)
        }
        migrator.registerMigration("v8: outbox leases", migrate: outboxLeases)
        migrator.registerMigration("v9: parked OA directory changes", migrate: parkedChanges)
        migrator.registerMigration("v10: API token expiry and scope", migrate: apiTokenScope)
        migrator.registerMigration("v11: hashed key/value entry keys", migrate: hashedEntryKeys)
        migrator.registerMigration("v12: admin roles (super-admin)", migrate: adminRoles)
        migrator.registerMigration("v13: mode 3, OA → Feishu (settings, runs, journal, links)", migrate: oaToFeishu)
        migrator.registerMigration("v14: directory sync schedules", migrate: syncSchedules)
        migrator.registerMigration("v15: OpenID Connect provider (clients, signing keys)", migrate: oidc)
        migrator.registerMigration("v16: Approval Center (definitions, instances, tasks; actions from the Approval Center)",
                                   migrate: approvalCenter)
        migrator.registerMigration("v17: Feishu contact events (inbox, entry times, scope removals)", migrate: directoryEvents)
        migrator.registerMigration("v18: how each app receives events (request URL or long connection)", migrate: appEventChannels)
        return migrator
    }
}
