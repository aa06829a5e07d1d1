import Foundation
import Synchronization
import YunqiaoServices

/// Counts the password checks of a bridge (its ``YunqiaoServices/PasswordVerifier``) around real bcrypt: which hash
/// each check was against, so a test can tell that an unknown user cost a check of the dummy hash.
final class PasswordChecks: Sendable {
    private let hashes = Mutex<[String]>([])

    /// The verifier to give the bridge.
    var verifier: PasswordVerifier {
        PasswordVerifier { password, hash in
            self.hashes.withLock { $0.append(hash) }
            return try await Passwords.verify(password, hash: hash)
        }
    }

    /// How many checks ran.
    var count: Int { hashes.withLock { $0.count } }
    /// How many of them were against the dummy hash (no user, or no password).
    var againstDummy: Int { hashes.withLock { $0.filter { $0 == PasswordVerifier.dummyHash }.count } }
}
