/// An error of the bridge's own layers that the edge (HTTP, CLI) turns into an answer: which input is wrong, what is
/// missing or taken, what cannot be done now. Thrown by the store's ports and the use cases alike.
public enum YunqiaoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `what` names the entry ("enterprise \(id)"); the words say "… not found".
    case notFound(LocalizedText)
    /// `what` names the entry; the words say "… already exists".
    case duplicate(LocalizedText)
    case invalid(field: String, message: LocalizedText)
    /// The entry is still used by others (named in the message) and cannot be deleted.
    case inUse(LocalizedText)
    /// Refused in the present state (configure something first, a run is under way…); `field` names the input when one
    /// is at fault.
    case conflict(field: String?, message: LocalizedText)
    /// Cannot be done now (the server is shutting down, a dependency is down); try again later.
    case unavailable(LocalizedText)
    /// Not for this caller (an ordinary admin asking for what only a super-admin may do).
    case forbidden(LocalizedText)

    /// What the error says, keyed for translation (without the field).
    public var text: LocalizedText {
        switch self {
        case .notFound(let what): what.wrapped(suffix: " not found")
        case .duplicate(let what): what.wrapped(suffix: " already exists")
        case .invalid(_, let message), .conflict(_, let message): message
        case .inUse(let message), .unavailable(let message), .forbidden(let message): message
        }
    }

    /// The input at fault, when one is.
    public var field: String? {
        switch self {
        case .invalid(let field, _): field
        case .conflict(let field, _): field
        default: nil
        }
    }

    public var description: String {
        if case .invalid(let field, let message) = self { return "\(field): \(message)" }
        return text.description
    }
}
