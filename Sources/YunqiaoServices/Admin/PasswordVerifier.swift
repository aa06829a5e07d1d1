import Foundation

/// Checks a password against a stored hash — and, when there is no hash (unknown user, a user who left, an OA user
/// without a password), against a fixed dummy hash of the same cost, so that an unknown user name takes as long as a
/// known one and the answer's timing does not tell which user names exist.
public struct PasswordVerifier: Sendable {
    private let verify: @Sendable (_ password: String, _ hash: String) async throws -> Bool

    /// - Parameter verify: whether `password` matches `hash` (tests count the calls).
    public init(verify: @escaping @Sendable (_ password: String, _ hash: String) async throws -> Bool) {
        self.verify = verify
    }

    /// bcrypt, off the event loops (``Passwords/verify(_:hash:)``).
    public static let bcrypt = PasswordVerifier { password, hash in try await Passwords.verify(password, hash: hash) }

    /// A bcrypt hash of cost ``Passwords/cost`` of a password nobody uses (``dummyPassword``): verified when there is no
    /// real hash, and never a match.
    public static let dummyHash = "$2b$12$ryPSu/j9yI2UbIz9q3y.ze8aMDkrEhiE/q7ZRTuW1JH3AP2dKbs2K"
    static let dummyPassword = "yunqiao-no-such-user"

    /// Whether `password` matches `hash`; a nil `hash` spends the same time and answers false.
    public func check(_ password: String, against hash: String?) async throws -> Bool {
        let matches = try await verify(password, hash ?? Self.dummyHash)
        return hash != nil && matches
    }
}
