import GRDB

extension Migrations {
    /// v15: the OpenID Connect provider — registered OA clients (secrets sealed) and the signing keys per tenant.
    static func oidc(_ db: Database) throws {
        try db.create(table: "oidcClient") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("tenantId", .integer).notNull().references("tenant", onDelete: .cascade)
            t.column("clientID", .text).notNull().unique()
            t.column("name", .text).notNull()
            t.column("redirectURIs", .text).notNull()
            t.column("postLogoutRedirectURIs", .text).notNull()
            t.column("appId", .integer).notNull().references("app", onDelete: .restrict)
            t.column("sealedSecret", .text).notNull()
            t.column("createdBy", .text).notNull()
            t.column("createdAt", .datetime).notNull()
        }
        try db.create(index: "oidcClient_tenant", on: "oidcClient", columns: ["tenantId"])
        try db.create(table: "oidcKey") { t in
            t.column("tenantId", .integer).notNull().references("tenant", onDelete: .cascade)
            t.column("kid", .text).notNull()
            t.column("sealedPrivateKey", .text).notNull()
            t.column("createdAt", .datetime).notNull()
            t.primaryKey(["tenantId", "kid"])
        }
    }
}
