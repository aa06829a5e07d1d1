/// An error of the bridge's own layers that the edge (HTTP, CLI) turns into an answer: which input is wrong, what is
/// missing or taken, what cannot be done now. Thrown by the store's ports and the use cases alike.
public enum YunqiaoError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(String)
    case duplicate(String)
    case invalid(field: String, message: String)
    /// The entry is still used by others (named in the message) and cannot be deleted.
    case inUse(String)
    /// Refused in the present state (configure something first, a run is under way…); `field` names the input when one
    /// is at fault.
    case conflict(field: String?, message: String)
    /// Cannot be done now (the server is shutting down, a dependency is down); try again later.
    case unavailable(String)
    /// Not for this caller (an ordinary admin asking for what only a super-admin may do).
    case forbidden(String)

    public var description: String {
        switch self {
        case .notFound(let what): "\(what) not found"
        case .duplicate(let what): "\(what) already exists"
        case .invalid(let field, let message): "\(field): \(message)"
        case .inUse(let message): message
        case .conflict(_, let message): message
        case .unavailable(let message): message
        case .forbidden(let message): message
        }
    }
}
