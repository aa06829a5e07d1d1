import Foundation

/// A contact event (`feishu-api.md` §3.7) decoded from its plaintext v2.0 envelope. Created and updated events carry
/// the whole entry in `object` (an update's `old_object` only names what changed), so applying one needs no API call.
public enum FeishuContactEvent: Sendable, Equatable {
    /// `contact.user.created_v3` or `contact.user.updated_v3`: the user as it is now.
    case userChanged(FeishuUser)
    /// `contact.user.deleted_v3`: the user left (resigned).
    case userDeleted(FeishuUser)
    /// `contact.department.created_v3` or `contact.department.updated_v3`.
    case departmentChanged(FeishuDepartment)
    /// `contact.department.deleted_v3`.
    case departmentDeleted(FeishuDepartment)
    /// `contact.scope.updated_v3`: what the app sees now and did not before, and what it no longer sees.
    case scopeUpdated(added: Scope, removed: Scope)

    public struct Scope: Sendable, Equatable, Decodable {
        public var departments: [FeishuDepartment]
        public var users: [FeishuUser]

        public init(departments: [FeishuDepartment] = [], users: [FeishuUser] = []) {
            self.departments = departments
            self.users = users
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            departments = try c.decodeIfPresent([FeishuDepartment].self, forKey: AnyKey("departments")) ?? []
            users = try c.decodeIfPresent([FeishuUser].self, forKey: AnyKey("users")) ?? []
        }
    }

    /// The contact event types this decodes.
    public static let types: Set<String> = [
        "contact.user.created_v3", "contact.user.updated_v3", "contact.user.deleted_v3", "contact.department.created_v3",
        "contact.department.updated_v3", "contact.department.deleted_v3", "contact.scope.updated_v3",
    ]

    public struct DecodingFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Decodes the envelope of an event of `type` (one of ``types``).
    public static func decode(type: String, envelope: Data) throws(DecodingFailure) -> FeishuContactEvent {
        struct Envelope<Event: Decodable>: Decodable { var event: Event }
        struct Object<Item: Decodable>: Decodable { var object: Item }
        struct ScopeChange: Decodable {
            var added: Scope?
            var removed: Scope?
        }
        let decoder = JSONDecoder()
        do {
            switch type {
            case "contact.user.created_v3", "contact.user.updated_v3":
                return .userChanged(try decoder.decode(Envelope<Object<FeishuUser>>.self, from: envelope).event.object)
            case "contact.user.deleted_v3":
                return .userDeleted(try decoder.decode(Envelope<Object<FeishuUser>>.self, from: envelope).event.object)
            case "contact.department.created_v3", "contact.department.updated_v3":
                return .departmentChanged(try decoder.decode(Envelope<Object<FeishuDepartment>>.self, from: envelope).event.object)
            case "contact.department.deleted_v3":
                return .departmentDeleted(try decoder.decode(Envelope<Object<FeishuDepartment>>.self, from: envelope).event.object)
            case "contact.scope.updated_v3":
                let change = try decoder.decode(Envelope<ScopeChange>.self, from: envelope).event
                return .scopeUpdated(added: change.added ?? Scope(), removed: change.removed ?? Scope())
            default:
                throw DecodingFailure(description: "\(type) is not a contact event")
            }
        } catch let failure as DecodingFailure {
            throw failure
        } catch {
            throw DecodingFailure(description: "\(type): \(error)")
        }
    }
}
