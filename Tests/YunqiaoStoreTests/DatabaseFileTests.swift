import Foundation
import GRDB
import Testing
@testable import YunqiaoStore
import YunqiaoCore

/// Opening the database file (hardening issue #13): permissions, the secret key that is never replaced, errors that
/// name the path and the cause, key/value entries stored under their hash.
struct DatabaseFileTests {
    /// A fresh directory for the test, removed afterwards.
    static func withDirectory(_ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yq-db-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(directory)
    }

    static func mode(_ path: String) throws -> Int {
        try #require((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue)
    }

    /// Opens `path` (no `YUNQIAO_SECRET_KEY`), adds an app with a sealed secret, and closes it again.
    static func databaseWithASealedSecret(_ path: String) async throws {
        let database = try DatabaseFile.load(path: path, environment: [:])
        let tenant = try await database.integration.tenant()
        let enterprise = try await database.integration.createEnterprise(tenantId: tenant.id ?? 0, name: "e", brand: "feishu",
                                                                         baseURL: "https://open.feishu.cn")
        _ = try await database.integration.addApp(enterpriseId: enterprise.id ?? 0, name: "OA", appID: "cli_1", appSecret: "s3cret-value")
    }

    @Test func theFilesAreTheServiceUsersOnly() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/yunqiao.sqlite"
            let database = try DatabaseFile.load(path: path, environment: [:])
            _ = try await database.integration.tenant()
            for file in [path, path + "-wal", path + "-shm", path + ".key"] {
                #expect(try Self.mode(file) == 0o600, "\(file)")
            }
        }
    }

    @Test func filesMadeBeforeAreRestrictedToo() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/yunqiao.sqlite"
            try await Self.databaseWithASealedSecret(path)
            for file in [path, path + ".key"] { try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file) }
            let database = try DatabaseFile.load(path: path, environment: [:])
            _ = try await database.integration.tenant()
            for file in [path, path + "-wal", path + "-shm", path + ".key"] {
                #expect(try Self.mode(file) == 0o600, "\(file)")
            }
        }
    }

    @Test func aMissingKeyFileIsNotReplacedWhileSecretsAreSealedWithIt() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/yunqiao.sqlite"
            try await Self.databaseWithASealedSecret(path)
            try FileManager.default.removeItem(atPath: path + ".key")
            #expect(throws: SecretBox.KeyError.missingKeyFile(path + ".key", sealedValues: 1)) {
                _ = try DatabaseFile.load(path: path, environment: [:])
            }
            #expect(!FileManager.default.fileExists(atPath: path + ".key"))
            let message = "\(SecretBox.KeyError.missingKeyFile(path + ".key", sealedValues: 1))"
            #expect(message.contains(path + ".key") && message.contains("backup"))
        }
    }

    @Test func aKeyFileThatCannotBeReadIsNeverReplaced() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/yunqiao.sqlite"
            // Something that exists under the key's name but cannot be read as a file (root reads any file).
            try FileManager.default.createDirectory(atPath: path + ".key", withIntermediateDirectories: false)
            #expect {
                _ = try DatabaseFile.load(path: path, environment: [:])
            } throws: { error in
                guard case .cannotReadKeyFile(let file, _)? = error as? SecretBox.KeyError else { return false }
                return file == path + ".key" && "\(error)".contains(path + ".key")
            }
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: path + ".key", isDirectory: &isDirectory) && isDirectory.boolValue)
        }
    }

    @Test(.enabled(if: getuid() != 0, "root reads every file"))
    func anUnreadableKeyFileIsNeverReplaced() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/yunqiao.sqlite"
            try await Self.databaseWithASealedSecret(path)
            let key = try Data(contentsOf: URL(fileURLWithPath: path + ".key"))
            try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path + ".key")
            #expect(throws: SecretBox.KeyError.self) { _ = try DatabaseFile.load(path: path, environment: [:]) }
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path + ".key")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path + ".key")) == key)
        }
    }

    @Test func aNewDatabaseGetsANewKey() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/yunqiao.sqlite"
            try await Self.databaseWithASealedSecret(path)
            // The same key next time: the secret opens.
            let database = try DatabaseFile.load(path: path, environment: [:])
            let tenant = try await database.integration.tenant()
            let enterprise = try #require(try await database.integration.enterprises(tenantId: tenant.id ?? 0).first)
            let app = try #require(try await database.integration.apps(enterpriseId: enterprise.id ?? 0).first)
            #expect(try database.integration.secret(of: app) == "s3cret-value")
        }
    }

    @Test func aMissingDirectoryIsNamed() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/missing/yunqiao.sqlite"
            #expect(throws: DatabaseFileError(path: path, problem: "the directory \(directory)/missing does not exist "
                                                  + "(create it, writable by the service user)")) {
                _ = try DatabaseFile.load(path: path, environment: [:])
            }
            let notADirectory = directory + "/file"
            _ = FileManager.default.createFile(atPath: notADirectory, contents: Data())
            #expect(throws: DatabaseFileError(path: notADirectory + "/x.sqlite", problem: "\(notADirectory) is not a directory")) {
                _ = try DatabaseFile.load(path: notADirectory + "/x.sqlite", environment: [:])
            }
        }
    }

    @Test func aFileThatIsNotADatabaseIsNamed() async throws {
        try await Self.withDirectory { directory in
            let path = directory + "/yunqiao.sqlite"
            _ = FileManager.default.createFile(atPath: path, contents: Data(String(repeating: "not a database ", count: 100).utf8))
            #expect {
                _ = try DatabaseFile.load(path: path, environment: [:])
            } throws: { error in
                "\(error)".hasPrefix("cannot open the database \(path): ") && "\(error)".contains("not a SQLite database")
            }
        }
    }

    @Test(.enabled(if: getuid() != 0, "root writes everywhere"))
    func aReadOnlyDirectoryIsNamed() async throws {
        try await Self.withDirectory { directory in
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory) }
            #expect {
                _ = try DatabaseFile.load(path: directory + "/yunqiao.sqlite", environment: [:])
            } throws: { error in
                "\(error)".contains("the directory \(directory) is not writable")
            }
        }
    }

    // MARK: key/value entries

    @Test func entriesAreStoredUnderTheHashOfTheirKey() async throws {
        let database = try YunqiaoDatabase.inMemory()
        try await database.admins.persist(key: "hbs.session-id", value: Data("v".utf8), expiresAt: Date(timeIntervalSinceNow: 60))
        let keys = try await database.reader.read { db in try String.fetchAll(db, sql: #"SELECT "key" FROM persistEntry"#) }
        #expect(keys == [AdminRepository.tokenHash("hbs.session-id")])
        #expect(try await database.admins.persistedValue(key: "hbs.session-id")?.value == Data("v".utf8))
        #expect(try await database.admins.takePersisted(key: "hbs.session-id") == Data("v".utf8))
        #expect(try await database.admins.persistedValue(key: "hbs.session-id") == nil)
    }

    @Test func entriesOfBeforeAreReKeyedByTheMigration() async throws {
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue, upTo: "v8: outbox leases")
        try await queue.write { db in
            try db.execute(sql: #"INSERT INTO persistEntry ("key", value, expiresAt) VALUES ('hbs.live-session', x'7b7d', NULL)"#)
        }
        let database = try YunqiaoDatabase(queue, secrets: .ephemeral())
        let keys = try await database.reader.read { db in try String.fetchAll(db, sql: #"SELECT "key" FROM persistEntry"#) }
        #expect(keys == [AdminRepository.tokenHash("hbs.live-session")])
        // Signed-in admins stay signed in.
        #expect(try await database.admins.persistedValue(key: "hbs.live-session")?.value == Data("{}".utf8))
    }
}
