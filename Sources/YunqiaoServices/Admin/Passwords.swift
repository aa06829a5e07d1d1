import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import YunqiaoCore

/// Admin passwords: bcrypt (cost 12, salted) computed off the event loops.
public enum Passwords {
    public static let cost: UInt8 = 12

    public static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A random password for the first admin: 20 characters from an unambiguous alphabet (~100 bits).
    public static func generate(length: Int = 20) -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// A random URL-safe token with `prefix` (API tokens `yq_…`, CSRF tokens).
    /// Whether two secrets are equal, in a time that does not depend on where they differ.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public static func token(prefix: String = "", bytes: Int = 32) -> String {
        let key = SymmetricKey(size: SymmetricKeySize(bitCount: bytes * 8))
        let data = key.withUnsafeBytes { Data($0) }
        return prefix + base64URL(data)
    }

    /// Base64url without padding (RFC 4648 §5): tokens, PKCE challenges, JWK numbers.
    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
