import Crypto
import Foundation
import YunqiaoCore

/// Encrypts secrets at rest (app secrets) with AES-256-GCM.
///
/// The key comes from `YUNQIAO_SECRET_KEY` (base64 of 32 bytes) or from a key file that is created with mode 0600 on
/// first run. Losing the key means re-entering app secrets; it is never written to the database or the logs.
public struct SecretBox: Sendable {
    private let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    public enum KeyError: Error, CustomStringConvertible {
        case badEnvironmentKey
        case badKeyFile(String)
        case cannotWriteKeyFile(String)

        public var description: String {
            switch self {
            case .badEnvironmentKey: "YUNQIAO_SECRET_KEY must be the base64 of exactly 32 bytes"
            case .badKeyFile(let path): "key file \(path) must hold the base64 of exactly 32 bytes"
            case .cannotWriteKeyFile(let path): "cannot create key file \(path)"
            }
        }
    }

    /// The key from the environment, else from `keyFile` (created when missing).
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment, keyFile: String) throws -> SecretBox {
        if let text = environment["YUNQIAO_SECRET_KEY"] {
            guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
                throw KeyError.badEnvironmentKey
            }
            return SecretBox(key: SymmetricKey(data: data))
        }
        if let existing = FileManager.default.contents(atPath: keyFile) {
            let text = String(decoding: existing, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let data = Data(base64Encoded: text), data.count == 32 else { throw KeyError.badKeyFile(keyFile) }
            return SecretBox(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0) }.base64EncodedString() + "\n"
        guard FileManager.default.createFile(atPath: keyFile, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyError.cannotWriteKeyFile(keyFile)
        }
        return SecretBox(key: key)
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
