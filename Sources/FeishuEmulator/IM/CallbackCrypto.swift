import Crypto
import Foundation
import _CryptoExtras

/// The platform's push crypto (`feishu-api.md` §6.3, §6.4, §6.9), as the emulator encrypts and signs what it sends to an
/// app. Public so that a client's tests can build request vectors with the emulator's own signer.
public enum CallbackCrypto {
    public struct CryptoError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The AES key: SHA-256 of the Encrypt Key's UTF-8 bytes.
    static func key(_ encryptKey: String) -> SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Data(encryptKey.utf8)))
    }

    /// The value of `{"encrypt": …}`: base64(IV ‖ AES-256-CBC(SHA-256(key), IV, PKCS#7(plaintext))), a random IV unless given.
    public static func encrypt(_ plaintext: Data, encryptKey: String, iv: [UInt8]? = nil) throws -> String {
        let vector = try iv.map { try AES._CBC.IV(ivBytes: $0) } ?? AES._CBC.IV()
        let ciphertext = try AES._CBC.encrypt(plaintext, using: key(encryptKey), iv: vector)
        return (Data(vector) + ciphertext).base64EncodedString()
    }

    /// The inverse of ``encrypt(_:encryptKey:iv:)``: the IV is the first 16 bytes of the decoded payload.
    public static func decrypt(_ encrypted: String, encryptKey: String) throws -> Data {
        guard let payload = Data(base64Encoded: encrypted), payload.count >= 32, payload.count % 16 == 0 else {
            throw CryptoError(description: "not base64 of an IV and whole AES blocks")
        }
        let vector = try AES._CBC.IV(ivBytes: payload.prefix(16))
        return try AES._CBC.decrypt(payload.dropFirst(16), using: key(encryptKey), iv: vector)
    }

    /// `X-Lark-Signature` of events and `card.action.trigger`: lowercase hex SHA-256(timestamp + nonce + encrypt key + raw body).
    public static func signature(timestamp: String, nonce: String, encryptKey: String, body: Data) -> String {
        hex(SHA256.hash(data: Data((timestamp + nonce + encryptKey).utf8) + body))
    }

    /// `X-Lark-Signature` of the old card callback: lowercase hex SHA-1(timestamp + nonce + verification token + raw body).
    public static func cardV1Signature(timestamp: String, nonce: String, verificationToken: String, body: Data) -> String {
        hex(Insecure.SHA1.hash(data: Data((timestamp + nonce + verificationToken).utf8) + body))
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
