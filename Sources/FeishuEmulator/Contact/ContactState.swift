import Foundation

/// The contact area (`feishu-api.md` §3): the tenant's org, and the department, user and scope APIs that read and
/// change it. Other areas borrow ``org`` for ids, lookups and the apps' visibility; only contact calls move people.
struct ContactState: Sendable {
    typealias App = EmulatorConfiguration.App

    var org: Org
    /// The tenant's licensed seats (``EmulatorConfiguration/seats``); nil = no limit.
    var seats: Int?
    private var cachedCounts: (version: Int, all: [String: Int], primary: [String: Int])?
    /// Answers of write calls by `client_token`, so a retried create is answered once and applied once.
    private var idempotentAnswers: [String: JSON] = [:]

    init(org: Org, seats: Int? = nil) {
        self.org = org
        self.seats = seats
    }

    /// Refuses one more user who has not resigned when every seat is taken (40107, seat limit).
    func requireFreeSeat() throws(APIError) {
        guard let seats, org.seatsTaken >= seats else { return }
        throw .contact(40107, "the tenant has no free seat: \(seats) of \(seats) licensed seats are taken")
    }

    /// Answers a contact API call made by `app`.
    mutating func perform(_ call: APICall, app: App) throws(APIError) -> JSON {
        switch call.endpoint {
        case .departmentGet: try getDepartment(call, app: app)
        case .departmentBatch: try batchDepartments(call, app: app)
        case .departmentChildren: try departmentChildren(call, app: app)
        case .departmentParent: try departmentParents(call, app: app)
        case .departmentCreate: try createDepartment(call, app: app)
        case .departmentPatch: try writeDepartment(call, app: app, full: false)
        case .departmentUpdate: try writeDepartment(call, app: app, full: true)
        case .departmentDelete: try deleteDepartment(call, app: app)
        case .departmentUpdateID: try updateDepartmentID(call, app: app)
        case .userGet: try getUser(call, app: app)
        case .userBatch: try batchUsers(call, app: app)
        case .userFindByDepartment: try findUsersByDepartment(call, app: app)
        case .userBatchGetID: try batchGetUserIDs(call, app: app)
        case .userCreate: try createUser(call, app: app)
        case .userPatch: try writeUser(call, app: app, full: false)
        case .userUpdate: try writeUser(call, app: app, full: true)
        case .userDelete: try deleteUser(call, app: app)
        case .userResurrect: try resurrectUser(call, app: app)
        case .userUpdateID: try updateUserID(call, app: app)
        case .scopeList: try listScopes(call, app: app)
        default: preconditionFailure("\(call.endpoint.rawValue) is not a contact API")
        }
    }

    /// Runs a create once per `client_token` (per app and API); a repeat gets the first answer.
    mutating func idempotent(_ call: APICall, appID: String, _ body: (inout ContactState) throws(APIError) -> JSON)
        throws(APIError) -> JSON
    {
        guard let token = call.query("client_token"), !token.isEmpty else { return try body(&self) }
        let key = "\(appID)|\(call.endpoint.rawValue)|\(token)"
        if let answer = idempotentAnswers[key] { return answer }
        let answer = try body(&self)
        idempotentAnswers[key] = answer
        return answer
    }

    /// Members per department (all and primary), recounted only after the org changed.
    mutating func memberCounts() -> (all: [String: Int], primary: [String: Int]) {
        if let cached = cachedCounts, cached.version == org.version { return (cached.all, cached.primary) }
        let counts = org.memberCounts()
        cachedCounts = (org.version, counts.all, counts.primary)
        return counts
    }

    // MARK: lookups that throw the platform's codes

    func departmentNotFound(_ id: String, _ type: IDTypes.DepartmentIDType, field: String = "department_id") -> APIError {
        type == .openDepartmentID
            ? .contact(99992357, "open_department_id not found", field: field, value: id)
            : .contact(99992380, "department_id not found", field: field, value: id)
    }

    /// The platform's "not found" code for the id type; an open_id that belongs to another app of the tenant is
    /// 99992361 "open_id cross app" instead (`feishu-api.md` §1.5).
    func userNotFound(_ id: String, _ type: IDTypes.UserIDType, app: App, field: String = "user_id") -> APIError {
        switch type {
        case .openID where org.isOpenIDOfAnotherApp(id, app: app.appID):
            .contact(99992361, "open_id cross app: \(id)", field: field, value: id)
        case .openID: .contact(99992351, "The open_id does not exist: \(id)", field: field, value: id)
        case .userID: .contact(99992360, "The user_id does not exist: \(id)", field: field, value: id)
        case .unionID: .contact(99992364, "The union_id does not exist: \(id)", field: field, value: id)
        }
    }

    /// A department the app can see, by an id of the caller's type; `"0"` allowed only where `allowRoot`.
    /// Errors name `field`, the request field the id came from.
    func visibleDepartment(_ id: String, _ types: IDTypes, app: App, allowRoot: Bool,
                           field: String = "department_id") throws(APIError) -> String
    {
        if id == rootDepartment {
            guard allowRoot else { throw .contact(40157, "root department is not allowed here", field: field, value: id) }
            guard org.scope(of: app).all else { throw .contact(40004, "no dept authority error", field: field, value: id) }
            return rootDepartment
        }
        guard let department = org.department(id: id, type: types.department) else {
            throw departmentNotFound(id, types.department, field: field)
        }
        guard org.isVisible(department: department.openID, in: org.scope(of: app)) else {
            throw .contact(40004, "no dept authority error", field: field, value: id)
        }
        return department.openID
    }

    func visibleUser(_ id: String, _ types: IDTypes, app: App) throws(APIError) -> User {
        guard let user = org.user(id: id, type: types.user, app: app.appID) else {
            throw userNotFound(id, types.user, app: app)
        }
        guard org.isVisible(user: user, in: org.scope(of: app)) else {
            throw .contact(41050, "no user authority error", field: "user_id", value: id)
        }
        return user
    }
}
