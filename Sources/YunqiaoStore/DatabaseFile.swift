import Foundation
import GRDB

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the database could not be opened, naming the file and the cause: `cannot open the database /x/y.sqlite: the
/// directory /x does not exist`.
public struct DatabaseFileError: Error, CustomStringConvertible, Equatable {
    /// The file (or its directory) concerned.
    public var path: String
    /// What is wrong, and when it helps, what to do.
    public var problem: String

    public var description: String { "cannot open the database \(path): \(problem)" }
}

/// Opening the SQLite file of ``YunqiaoDatabase/open(path:)``: the checks that turn SQLite's terse errors ("SQLite
/// error 14", "readonly database") into ones naming the path and the cause, the files' permissions (database, `-wal`,
/// `-shm` and key file are the service user's only: 0600, also when they existed before), and the secret key, which
/// is never created anew for a database that holds sealed values.
enum DatabaseFile {
    static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> YunqiaoDatabase {
        try check(path)
        try createIfMissing(path)
        // SQLite gives -wal and -shm the database file's mode; older files get theirs here.
        for file in [path, path + "-wal", path + "-shm", path + ".key"] { restrict(file) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA foreign_keys = ON") }
        let pool: DatabasePool
        let sealed: Int
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            sealed = try pool.read(sealedValueCount)
        } catch let error as DatabaseError {
            throw DatabaseFileError(path: path, problem: sqliteProblem(error))
        }
        let secrets = try SecretBox.load(environment: environment, keyFile: path + ".key", sealedValues: sealed)
        do {
            return try YunqiaoDatabase(pool, secrets: secrets)
        } catch let error as DatabaseError {
            throw DatabaseFileError(path: path, problem: "migrating failed: " + sqliteProblem(error))
        }
    }

    /// The directory must exist and be writable (SQLite creates `-wal` and `-shm` beside the file); an existing file
    /// must be a readable and writable file.
    static func check(_ path: String) throws(DatabaseFileError) {
        guard !path.isEmpty else { throw DatabaseFileError(path: path, problem: "the path is empty") }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var info = stat()
        guard stat(directory, &info) == 0 else {
            let reason = errno
            let problem = reason == ENOENT ? "the directory \(directory) does not exist (create it, writable by the service user)"
                : "the directory \(directory) cannot be reached (\(describe(reason)))"
            throw DatabaseFileError(path: path, problem: problem)
        }
        guard info.st_mode & mode_t(S_IFMT) == mode_t(S_IFDIR) else {
            throw DatabaseFileError(path: path, problem: "\(directory) is not a directory")
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw DatabaseFileError(path: path, problem: "the directory \(directory) is not writable by this user (\(describe(errno))): "
                                        + "SQLite creates its -wal and -shm files beside the database")
        }
        guard stat(path, &info) == 0 else { return }
        guard info.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG) else { throw DatabaseFileError(path: path, problem: "it is not a regular file") }
        guard access(path, R_OK | W_OK) == 0 else {
            throw DatabaseFileError(path: path, problem: "the file is not readable and writable by this user (\(describe(errno)))")
        }
    }

    /// A new database file is created 0600 (SQLite would create it 0644 under the usual umask).
    private static func createIfMissing(_ path: String) throws(DatabaseFileError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            close(descriptor)
        } else if errno != EEXIST {
            throw DatabaseFileError(path: path, problem: "cannot create the file (\(describe(errno)))")
        }
    }

    /// Mode 0600 for a file of the database that exists (best effort: a file of another owner keeps its mode).
    private static func restrict(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & mode_t(S_IFMT) == mode_t(S_IFREG), info.st_mode & 0o077 != 0 else { return }
        _ = chmod(path, 0o600)
    }

    /// How many values are sealed with the secret key: the non-empty values of every `sealed…` column.
    static func sealedValueCount(_ db: Database) throws -> Int {
        var count = 0
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for table in tables {
            for column in try db.columns(in: table) where column.name.hasPrefix("sealed") {
                count += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.quotedDatabaseIdentifier) "
                                              + "WHERE \(column.name.quotedDatabaseIdentifier) <> ''") ?? 0
            }
        }
        return count
    }

    private static func sqliteProblem(_ error: DatabaseError) -> String {
        let message = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        switch error.resultCode {
        case .SQLITE_READONLY: return "\(message) (the file, or its directory, is read-only for this user)"
        case .SQLITE_CANTOPEN: return "\(message) (check that the directory exists and is writable by this user)"
        case .SQLITE_NOTADB: return "\(message) (the file is not a SQLite database)"
        default: return message
        }
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// The secret key's file: read without ever creating it by accident, created without ever replacing one.
enum KeyFile {
    /// The file's contents, nil when there is no such file; any other failure (no permission, a directory) throws.
    static func contents(of path: String) throws(SecretBox.KeyError) -> Data? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let reason = errno
            if reason == ENOENT { return nil }
            throw .cannotReadKeyFile(path, reason: DatabaseFile.describe(reason))
        }
        defer { close(descriptor) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .cannotReadKeyFile(path, reason: DatabaseFile.describe(errno))
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[0..<count])
            if data.count > 4096 { throw .badKeyFile(path) }
        }
    }

    /// Creates the file with mode 0600 and `contents`; false when a file of that name exists already (it is left alone).
    static func create(_ path: String, contents: Data) throws(SecretBox.KeyError) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let reason = errno
            if reason == EEXIST { return false }
            throw .cannotWriteKeyFile(path, reason: DatabaseFile.describe(reason))
        }
        let bytes = [UInt8](contents)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let reason = errno
                close(descriptor)
                unlink(path)
                throw .cannotWriteKeyFile(path, reason: DatabaseFile.describe(reason))
            }
            written += count
        }
        let synced = fsync(descriptor) == 0
        let reason = errno
        close(descriptor)
        guard synced else {
            unlink(path)
            throw .cannotWriteKeyFile(path, reason: DatabaseFile.describe(reason))
        }
        return true
    }
}
