import Crypto
import Foundation

/// Approve or reject tapped in Feishu's Approval Center on a third-party task (`feishu-api.md` §5.5): what Feishu
/// POSTs to the definition's `action_callback_url`.
public struct ApprovalActionCallback: Sendable, Equatable {
    /// `APPROVE`, `REJECT` or a custom key of the task's `action_configs`.
    public var actionType: String
    public var actionContext: String?
    /// The operator's user_id.
    public var userID: String?
    public var approvalCode: String?
    public var instanceID: String?
    public var taskID: String?
    public var reason: String?

    public init(actionType: String, actionContext: String? = nil, userID: String? = nil, approvalCode: String? = nil,
                instanceID: String? = nil, taskID: String? = nil, reason: String? = nil)
    {
        self.actionType = actionType
        self.actionContext = actionContext
        self.userID = userID
        self.approvalCode = approvalCode
        self.instanceID = instanceID
        self.taskID = taskID
        self.reason = reason
    }

    /// The token and key a bridge gives its definitions in one app, derived from the app's secret (HMAC-SHA256), so
    /// that nothing more is stored and a new app secret gives new ones: `token` is compared with the callback's,
    /// `key` encrypts it.
    public static func credentials(appID: String, appSecret: String) -> (token: String, key: String) {
        let secret = SymmetricKey(data: Data(appSecret.utf8))
        func derive(_ label: String) -> String {
            let mac = HMAC<SHA256>.authenticationCode(for: Data("yunqiao approval callback \(label) \(appID)".utf8), using: secret)
            return FeishuCallbackCrypto.hex(mac).prefix(32).description
        }
        return (derive("token"), derive("key"))
    }

    /// Decrypts and checks a callback body: it must be `{"encrypt": …}` made with `key` (the definition's
    /// `action_callback_key`), and its `token` must be `token`. The body is not parsed as the action before it has been
    /// decrypted with the key, so a caller without the key gets nothing through.
    public static func verify(body: Data, token: String, key: String) throws(ApprovalCallbackError) -> ApprovalActionCallback {
        guard let outer = try? JSONDecoder().decode([String: CallbackJSON].self, from: body) else { throw .malformedBody }
        guard case .string(let encrypted)? = outer["encrypt"], outer.count == 1 else { throw .notEncrypted }
        let plaintext: Data
        do { plaintext = try FeishuCallbackCrypto.decrypt(encrypted, encryptKey: key) } catch { throw .cannotDecrypt }
        guard case .object(let fields)? = try? JSONDecoder().decode(CallbackJSON.self, from: plaintext) else { throw .malformedBody }
        guard case .string(let sent)? = fields["token"], FeishuCallbackVerifier.constantTimeEqual(sent, token) else { throw .badToken }
        func text(_ name: String) -> String? {
            switch fields[name] {
            case .string(let value)?: value
            case .integer(let value)?: String(value)
            default: nil
            }
        }
        guard let actionType = text("action_type"), !actionType.isEmpty else { throw .malformedBody }
        return ApprovalActionCallback(actionType: actionType, actionContext: text("action_context"), userID: text("user_id"),
                                      approvalCode: text("approval_code"), instanceID: text("instance_id") ?? text("id"),
                                      taskID: text("task_id") ?? text("id"), reason: text("reason"))
    }
}

public enum ApprovalCallbackError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedBody
    case notEncrypted
    case cannotDecrypt
    case badToken

    public var description: String {
        switch self {
        case .malformedBody: "the body is not an approval action callback"
        case .notEncrypted: "the callback is not encrypted with the definition's key"
        case .cannotDecrypt: "the callback cannot be decrypted with the definition's key"
        case .badToken: "the callback's token is not the definition's"
        }
    }
}
