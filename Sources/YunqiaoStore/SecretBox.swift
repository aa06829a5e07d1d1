import Crypto
import Foundation
import YunqiaoCore

/// Encrypts secrets at rest (app secrets) with AES-256-GCM.
///
/// The key comes from `YUNQIAO_SECRET_KEY` (base64 of 32 bytes) or from a key file that is created with mode 0600 on
/// first run — only while the database holds no sealed value, and never over an existing file (even one that cannot
/// be read). Losing the key means re-entering app secrets: back it up with the database. It is never written to the
/// database or the logs.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    public enum KeyError: Error, CustomStringConvertible, Equatable {
        case badEnvironmentKey
        case badKeyFile(String)
        case cannotReadKeyFile(String, reason: String)
        case cannotWriteKeyFile(String, reason: String)
        /// The key file is missing while the database holds values sealed with it.
        case missingKeyFile(String, sealedValues: Int)

        public var description: String {
            switch self {
            case .badEnvironmentKey: "YUNQIAO_SECRET_KEY must be the base64 of exactly 32 bytes"
            case .badKeyFile(let path): "key file \(path) must hold the base64 of exactly 32 bytes"
            case .cannotReadKeyFile(let path, let reason):
                "cannot read the key file \(path) (\(reason)); it is never replaced: give the service user read access to it, or set "
                    + "YUNQIAO_SECRET_KEY"
            case .cannotWriteKeyFile(let path, let reason): "cannot create the key file \(path) (\(reason))"
            case .missingKeyFile(let path, let count):
                "the key file \(path) is missing, but the database holds \(count) secret(s) sealed with it: restore the key file "
                    + "from the backup of the database (or set YUNQIAO_SECRET_KEY); a new key would leave every sealed secret unreadable"
            }
        }
    }

    /// The key from the environment, else from `keyFile`. A missing key file is created (0600) only when the database
    /// holds no sealed value yet (`sealedValues` is 0); an existing one is never overwritten.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment, keyFile: String,
                            sealedValues: Int = 0) throws -> SecretBox
    {
        if let text = environment["YUNQIAO_SECRET_KEY"] {
            guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
                throw KeyError.badEnvironmentKey
            }
            return SecretBox(key: SymmetricKey(data: data))
        }
        if let existing = try KeyFile.contents(of: keyFile) { return try SecretBox(keyFile: keyFile, contents: existing) }
        guard sealedValues == 0 else { throw KeyError.missingKeyFile(keyFile, sealedValues: sealedValues) }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0) }.base64EncodedString() + "\n"
        guard try KeyFile.create(keyFile, contents: Data(text.utf8)) else {
            // Created by another process meanwhile: that key counts.
            guard let existing = try KeyFile.contents(of: keyFile) else { throw KeyError.cannotWriteKeyFile(keyFile, reason: "it vanished") }
            return try SecretBox(keyFile: keyFile, contents: existing)
        }
        return SecretBox(key: key)
    }

    private init(keyFile: String, contents: Data) throws {
        let text = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: text), data.count == 32 else { throw KeyError.badKeyFile(keyFile) }
        self.init(key: SymmetricKey(data: data))
    }

    /// A fresh random key (tests, in-memory databases).
    public static func ephemeral() -> SecretBox { SecretBox(key: SymmetricKey(size: .bits256)) }

    public func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return "v1:" + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))) else {
            throw CryptoKitError.incorrectParameterSize
        }
        let plaintext = try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key)
        return String(decoding: plaintext, as: UTF8.self)
    }
}

/// Shows the last 4 characters of a secret, never more: `••••••••cret`.
public func maskSecret(_ secret: String) -> String {
    secret.count <= 4 ? String(repeating: "•", count: secret.count) : String(repeating: "•", count: 8) + secret.suffix(4)
}
