import Foundation

/// Contact v3: departments, users and the app's contact scope (`feishu-api.md` §3).
extension EmulatorState {
    // MARK: scope

    struct ScopeView {
        var all: Bool
        var departments: Set<String>
        var users: Set<Int>
    }

    func scope(of appID: String) -> ScopeView {
        guard case .limited(let departmentIDs, let userIDs) = apps[appID]?.config.scope else {
            return ScopeView(all: true, departments: [], users: [])
        }
        let departments = Set(departmentIDs.compactMap { org.department(id: $0, type: .departmentID)?.openID })
        let users = Set(userIDs.compactMap { org.user(id: $0, type: .userID, app: appID)?.key })
        return ScopeView(all: false, departments: departments, users: users)
    }

    func isVisible(department openID: String, in scope: ScopeView) -> Bool {
        if scope.all { return true }
        if openID == rootDepartment { return false }
        var current: String? = openID
        while let id = current, id != rootDepartment {
            if scope.departments.contains(id) { return true }
            current = org.departments[id]?.parent
        }
        return false
    }

    func isVisible(user: User, in scope: ScopeView) -> Bool {
        scope.all || scope.users.contains(user.key) || user.departments.contains { isVisible(department: $0, in: scope) }
    }

    // MARK: lookups that throw the platform's codes

    private func departmentNotFound(_ id: String, _ type: IDTypes.DepartmentIDType, field: String = "department_id") -> APIError {
        type == .openDepartmentID
            ? .contact(99992357, "open_department_id not found", field: field, value: id)
            : .contact(99992380, "department_id not found", field: field, value: id)
    }

    /// The platform's "not found" code for the id type; an open_id that belongs to another app of the tenant is
    /// 99992361 "open_id cross app" instead (`feishu-api.md` §1.5).
    private func userNotFound(_ id: String, _ type: IDTypes.UserIDType, appID: String, field: String = "user_id") -> APIError {
        switch type {
        case .openID where org.isOpenIDOfAnotherApp(id, app: appID):
            .contact(99992361, "open_id cross app: \(id)", field: field, value: id)
        case .openID: .contact(99992351, "The open_id does not exist: \(id)", field: field, value: id)
        case .userID: .contact(99992360, "The user_id does not exist: \(id)", field: field, value: id)
        case .unionID: .contact(99992364, "The union_id does not exist: \(id)", field: field, value: id)
        }
    }

    /// A department the app can see, by an id of the caller's type; `"0"` allowed only where `allowRoot`.
    /// Errors name `field`, the request field the id came from.
    private func visibleDepartment(_ id: String, _ types: IDTypes, appID: String, allowRoot: Bool,
                                   field: String = "department_id") throws(APIError) -> String
    {
        if id == rootDepartment {
            guard allowRoot else { throw .contact(40157, "root department is not allowed here", field: field, value: id) }
            guard scope(of: appID).all else { throw .contact(40004, "no dept authority error", field: field, value: id) }
            return rootDepartment
        }
        guard let department = org.department(id: id, type: types.department) else {
            throw departmentNotFound(id, types.department, field: field)
        }
        guard isVisible(department: department.openID, in: scope(of: appID)) else {
            throw .contact(40004, "no dept authority error", field: field, value: id)
        }
        return department.openID
    }

    private func visibleUser(_ id: String, _ types: IDTypes, appID: String) throws(APIError) -> User {
        guard let user = org.user(id: id, type: types.user, app: appID) else {
            throw userNotFound(id, types.user, appID: appID)
        }
        guard isVisible(user: user, in: scope(of: appID)) else {
            throw .contact(41050, "no user authority error", field: "user_id", value: id)
        }
        return user
    }

    // MARK: pagination

    /// Cuts one page. Tokens are opaque, bound to the query they came from, and stay valid while the caller pages.
    func page<T>(_ items: [T], _ call: APICall, context: String, defaultSize: Int, maxSize: Int) throws(APIError)
        -> (items: ArraySlice<T>, hasMore: Bool, token: String?)
    {
        var size = defaultSize
        if let raw = call.query("page_size") {
            guard let value = Int(raw), (1...maxSize).contains(value) else {
                throw .validation("page_size", raw, "page_size must be an integer between 1 and \(maxSize)")
            }
            size = value
        }
        var offset = 0
        if let raw = call.query("page_token"), !raw.isEmpty {
            guard let value = PageToken.decode(raw, context: context) else {
                throw .validation("page_token", raw, "page_token is invalid or belongs to another query")
            }
            offset = min(value, items.count)
        }
        let end = min(items.count, offset + size)
        let hasMore = end < items.count
        return (items[offset..<end], hasMore, hasMore ? PageToken.encode(offset: end, context: context) : nil)
    }

    private func pageData(items: [JSON], hasMore: Bool, token: String?) -> JSON {
        var data: [String: JSON] = ["has_more": .bool(hasMore), "items": .array(items)]
        if let token { data["page_token"] = .string(token) }
        return .object(data)
    }

    // MARK: rendering

    func render(_ department: Department, _ types: IDTypes, appID: String) -> JSON {
        let counts = memberCounts()
        var object: [String: JSON] = [
            "name": .string(department.name),
            "i18n_name": .object(["zh_cn": .string(department.i18nName["zh_cn"] ?? ""),
                                  "ja_jp": .string(department.i18nName["ja_jp"] ?? ""),
                                  "en_us": .string(department.i18nName["en_us"] ?? "")]),
            "parent_department_id": .string(org.externalID(ofDepartment: department.parent, type: types.department)),
            "department_id": .string(department.customID),
            "open_department_id": .string(department.openID),
            "order": .string(String(department.order)),
            "unit_ids": [],
            "member_count": .int(counts.all[department.openID] ?? 0),
            "primary_member_count": .int(counts.primary[department.openID] ?? 0),
            "status": ["is_deleted": false],
        ]
        if let leader = department.leaderUserKey {
            let id = org.externalID(ofUser: leader, type: types.user, app: appID)
            object["leader_user_id"] = .string(id)
            object["leaders"] = [["leader_type": 1, "leader_id": .string(id)]]
        }
        if let chat = department.chatID { object["chat_id"] = .string(chat) }
        return .object(object)
    }

    func render(_ user: User, _ types: IDTypes, appID: String) -> JSON {
        let withheld = apps[appID]?.config.withheldFields ?? []
        let avatarBase = "https://s1-imfile.feishucdn.com/static-resource/v1/v2_\(user.avatarSeed)~?image_size="
        var object: [String: JSON] = [
            "union_id": .string(user.unionID),
            "user_id": .string(user.userID),
            "open_id": .string(org.openID(of: user.key, app: appID)),
            "name": .string(user.name),
            "en_name": .string(user.enName),
            "nickname": .string(user.nickname),
            "mobile": .string(user.mobile),
            "mobile_visible": .bool(user.mobileVisible),
            "gender": .int(user.gender),
            "avatar": .object(["avatar_72": .string(avatarBase + "72x72"), "avatar_240": .string(avatarBase + "240x240"),
                               "avatar_640": .string(avatarBase + "640x640"), "avatar_origin": .string(avatarBase + "noop")]),
            "status": .object(["is_frozen": .bool(user.status.isFrozen), "is_resigned": .bool(user.status.isResigned),
                               "is_activated": .bool(user.status.isActivated), "is_exited": .bool(user.status.isExited),
                               "is_unjoin": .bool(user.status.isUnjoin)]),
            "department_ids": .array(user.departments.map { .string(org.externalID(ofDepartment: $0, type: types.department)) }),
            "city": .string(user.city),
            "country": .string(user.country),
            "work_station": .string(user.workStation),
            "join_time": .int(user.joinTime),
            "is_tenant_manager": .bool(user.isTenantManager),
            "employee_no": .string(user.employeeNo),
            "employee_type": .int(user.employeeType),
            "job_title": .string(user.jobTitle),
            "description": .string(user.description),
            "orders": .array(user.departments.enumerated().map { index, department in
                ["department_id": .string(org.externalID(ofDepartment: department, type: types.department)),
                 "user_order": 0, "department_order": .int(user.departments.count - index), "is_primary_dept": .bool(index == 0)]
            }),
        ]
        if !user.email.isEmpty { object["email"] = .string(user.email) }
        if !user.enterpriseEmail.isEmpty { object["enterprise_email"] = .string(user.enterpriseEmail) }
        if let leader = user.leaderUserKey {
            object["leader_user_id"] = .string(org.externalID(ofUser: leader, type: types.user, app: appID))
        }
        for field in withheld { object[field] = nil }
        return .object(object)
    }

    // MARK: departments

    func getDepartment(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let id = call.pathParameters["department_id"] ?? ""
        if id == rootDepartment { throw .contact(40161, "cannot get root department", field: "department_id", value: id) }
        let openID = try visibleDepartment(id, types, appID: appID, allowRoot: false)
        guard let department = org.departments[openID] else { throw departmentNotFound(id, types.department) }
        return ["department": render(department, types, appID: appID)]
    }

    func batchDepartments(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let ids = call.queryAll("department_ids")
        guard !ids.isEmpty else { throw .validation("department_ids", nil, "department_ids is required") }
        guard ids.count <= 50 else { throw .validation("department_ids", String(ids.count), "at most 50 department_ids") }
        let scope = scope(of: appID)
        let items = ids.compactMap { org.department(id: $0, type: types.department) }
            .filter { isVisible(department: $0.openID, in: scope) }
            .map { render($0, types, appID: appID) }
        return ["items": .array(items)]
    }

    func departmentChildren(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let id = call.pathParameters["department_id"] ?? ""
        let parent = try visibleDepartment(id, types, appID: appID, allowRoot: true)
        let recursive = call.query("fetch_child").flatMap { JSON.string($0).boolValue } ?? false
        let all = recursive ? org.descendants(of: parent) : org.children(of: parent)
        let cut = try page(all, call, context: "children|\(parent)|\(recursive)", defaultSize: 10, maxSize: 50)
        return pageData(items: cut.items.map { render($0, types, appID: appID) }, hasMore: cut.hasMore, token: cut.token)
    }

    func departmentParents(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        guard let id = call.query("department_id"), !id.isEmpty else {
            throw .validation("department_id", nil, "department_id is required")
        }
        let openID = try visibleDepartment(id, types, appID: appID, allowRoot: false)
        let scope = scope(of: appID)
        var chain: [Department] = []
        var current = org.departments[openID]?.parent
        while let parentID = current, parentID != rootDepartment, let parent = org.departments[parentID] {
            if isVisible(department: parentID, in: scope) { chain.append(parent) }
            current = parent.parent
        }
        let cut = try page(chain, call, context: "parent|\(openID)", defaultSize: 10, maxSize: 50)
        return pageData(items: cut.items.map { render($0, types, appID: appID) }, hasMore: cut.hasMore, token: cut.token)
    }

    func createDepartment(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        return try idempotent(call, appID: appID) { () throws(APIError) -> JSON in
            guard let body = call.json?.objectValue else { throw .validation("body", nil, "request body must be a JSON object") }
            guard let name = body["name"]?.stringValue, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .validation("name", nil, "name is required")
            }
            guard let parentID = body["parent_department_id"]?.stringValue, !parentID.isEmpty else {
                throw .validation("parent_department_id", nil, "parent_department_id is required")
            }
            let parent = try visibleDepartment(parentID, types, appID: appID, allowRoot: true, field: "parent_department_id")
            var department = Department(openID: "od-" + org.newHex(32), customID: "", name: name, parent: parent, order: 0,
                                        sequence: org.takeSequence())
            try applyDepartmentFields(body, to: &department, types: types, appID: appID, isNew: true)
            org.insertDepartment(department)
            return ["department": render(department, types, appID: appID)]
        }
    }

    func writeDepartment(_ call: APICall, appID: String, full: Bool) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let id = call.pathParameters["department_id"] ?? ""
        if id == rootDepartment { throw .contact(40157, "cannot operate root department", field: "department_id", value: id) }
        let openID = try visibleDepartment(id, types, appID: appID, allowRoot: false)
        guard var department = org.departments[openID] else { throw departmentNotFound(id, types.department) }
        guard let body = call.json?.objectValue else { throw .validation("body", nil, "request body must be a JSON object") }
        if full {
            guard let name = body["name"]?.stringValue, !name.isEmpty else { throw .validation("name", nil, "name is required") }
            guard body["parent_department_id"]?.stringValue != nil else {
                throw .validation("parent_department_id", nil, "parent_department_id is required")
            }
        }
        if let parentID = body["parent_department_id"]?.stringValue {
            let parent = try visibleDepartment(parentID, types, appID: appID, allowRoot: true, field: "parent_department_id")
            if parent == openID || org.isAncestor(openID, of: parent) && parent != rootDepartment {
                throw .contact(40013, "a department cannot move under itself", field: "parent_department_id", value: parentID)
            }
            department.parent = parent
        }
        try applyDepartmentFields(body, to: &department, types: types, appID: appID, isNew: false)
        org.updateDepartment(department)
        return ["department": render(department, types, appID: appID)]
    }

    private func applyDepartmentFields(_ body: [String: JSON], to department: inout Department, types: IDTypes, appID: String,
                                       isNew: Bool) throws(APIError)
    {
        if let name = body["name"]?.stringValue {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw .validation("name", name, "name is required") }
            guard !name.contains("/") else { throw .contact(40013, "department name cannot contain '/'", field: "name", value: name) }
            department.name = name
        }
        if org.siblingNameTaken(department.name, parent: department.parent, except: department.openID) {
            throw .contact(40153, "a sibling department already has this name", field: "name", value: department.name)
        }
        if isNew {
            if let custom = body["department_id"]?.stringValue, !custom.isEmpty {
                guard !custom.hasPrefix("od-"), custom != "0", custom != "1" else {
                    throw .contact(40151, "invalid department_id", field: "department_id", value: custom)
                }
                guard !org.isCustomDepartmentIDTaken(custom) else {
                    throw .contact(40152, "department_id already exists", field: "department_id", value: custom)
                }
                department.customID = custom
            } else {
                repeat { department.customID = org.newHex(16) } while org.isCustomDepartmentIDTaken(department.customID)
            }
        }
        if let rawOrder = body["order"], !rawOrder.isNull {
            guard let order = rawOrder.intValue, order >= 0 else {
                throw .validation("order", rawOrder.stringValue, "order must be a non-negative integer")
            }
            if org.siblingOrderTaken(order, parent: department.parent, except: department.openID) {
                throw .contact(40155, "order is already used by a sibling department", field: "order", value: String(order))
            }
            department.order = order
        } else if isNew || org.siblingOrderTaken(department.order, parent: department.parent, except: department.openID) {
            department.order = org.nextOrder(under: department.parent)
        }
        if let leader = body["leader_user_id"] {
            if let id = leader.stringValue, !id.isEmpty {
                guard let user = org.user(id: id, type: types.user, app: appID) else {
                    throw userNotFound(id, types.user, appID: appID, field: "leader_user_id")
                }
                department.leaderUserKey = user.key
            } else {
                department.leaderUserKey = nil
            }
        }
        if let i18n = body["i18n_name"]?.objectValue {
            for (key, value) in i18n { department.i18nName[key] = value.stringValue }
        }
        if body["create_group_chat"]?.boolValue == true, department.chatID == nil { department.chatID = "oc_" + org.newHex(32) }
    }

    func deleteDepartment(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let id = call.pathParameters["department_id"] ?? ""
        if id == rootDepartment { throw .contact(40157, "cannot operate root department", field: "department_id", value: id) }
        let openID = try visibleDepartment(id, types, appID: appID, allowRoot: false)
        guard org.children(of: openID).isEmpty else {
            throw .contact(40160, "department has sub-departments", field: "department_id", value: id)
        }
        guard !org.hasMembers(openID) else { throw .contact(40159, "department has members", field: "department_id", value: id) }
        org.removeDepartment(openID)
        return [:]
    }

    /// `PATCH /departments/:department_id/update_department_id`: a new custom id, once per department.
    func updateDepartmentID(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let id = call.pathParameters["department_id"] ?? ""
        if id == rootDepartment { throw .contact(40157, "cannot operate root department", field: "department_id", value: id) }
        let openID = try visibleDepartment(id, types, appID: appID, allowRoot: false)
        guard var department = org.departments[openID] else { throw departmentNotFound(id, types.department) }
        guard let newID = call.json?["new_department_id"]?.stringValue, !newID.isEmpty else {
            throw .validation("new_department_id", nil, "new_department_id is required")
        }
        guard newID.count <= 64, !newID.hasPrefix("od-"), newID != "0", newID != "1" else {
            throw .contact(40151, "invalid department_id", field: "new_department_id", value: newID)
        }
        if newID == department.customID { return [:] }
        guard !org.isCustomDepartmentIDTaken(newID) else {
            throw .contact(40152, "department_id already exists", field: "new_department_id", value: newID)
        }
        // The platform allows one change; the code for a second one is not documented (40013 = param error).
        guard !department.customIDChanged else {
            throw .contact(40013, "department_id can be changed only once", field: "new_department_id", value: newID)
        }
        department.customID = newID
        department.customIDChanged = true
        org.updateDepartment(department)
        return [:]
    }

    // MARK: users

    func getUser(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let user = try visibleUser(call.pathParameters["user_id"] ?? "", types, appID: appID)
        return ["user": render(user, types, appID: appID)]
    }

    func batchUsers(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let ids = call.queryAll("user_ids")
        guard !ids.isEmpty else { throw .validation("user_ids", nil, "user_ids is required") }
        guard ids.count <= 50 else { throw .validation("user_ids", String(ids.count), "at most 50 user_ids") }
        let scope = scope(of: appID)
        let items = ids.compactMap { org.user(id: $0, type: types.user, app: appID) }
            .filter { isVisible(user: $0, in: scope) }
            .map { render($0, types, appID: appID) }
        return ["items": .array(items)]
    }

    func findUsersByDepartment(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        guard let id = call.query("department_id"), !id.isEmpty else {
            throw .validation("department_id", nil, "department_id is required")
        }
        let department = try visibleDepartment(id, types, appID: appID, allowRoot: true)
        let members = org.members(of: department)
        let cut = try page(members, call, context: "members|\(department)", defaultSize: 10, maxSize: 50)
        return pageData(items: cut.items.map { render($0, types, appID: appID) }, hasMore: cut.hasMore, token: cut.token)
    }

    func batchGetUserIDs(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        guard let body = call.json?.objectValue else { throw .validation("body", nil, "request body must be a JSON object") }
        let emails = body["emails"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let mobiles = body["mobiles"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard emails.count <= 50 else { throw .validation("emails", String(emails.count), "at most 50 emails") }
        guard mobiles.count <= 50 else { throw .validation("mobiles", String(mobiles.count), "at most 50 mobiles") }
        let includeResigned = body["include_resigned"]?.boolValue ?? false
        let scope = scope(of: appID)
        func entry(_ user: User?, key: String, value: String) -> JSON {
            var object: [String: JSON] = [key: .string(value)]
            if let user, isVisible(user: user, in: scope), includeResigned || !user.status.isResigned {
                object["user_id"] = .string(org.externalID(ofUser: user.key, type: types.user, app: appID))
                object["status"] = .object(["is_frozen": .bool(user.status.isFrozen), "is_resigned": .bool(user.status.isResigned),
                                            "is_activated": .bool(user.status.isActivated), "is_exited": .bool(user.status.isExited),
                                            "is_unjoin": .bool(user.status.isUnjoin)])
            }
            return .object(object)
        }
        let list = emails.map { entry(org.user(email: $0), key: "email", value: $0) }
            + mobiles.map { entry(ContactValidation.normalizeMobile($0).flatMap { org.user(mobile: $0) }, key: "mobile", value: $0) }
        return ["user_list": .array(list)]
    }

    func createUser(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        return try idempotent(call, appID: appID) { () throws(APIError) -> JSON in
            guard let body = call.json?.objectValue else { throw .validation("body", nil, "request body must be a JSON object") }
            try requireUserFields(body)
            var user = User(key: org.newUserKey(), unionID: "on_" + org.newHex(32), userID: "", name: "",
                            avatarSeed: org.newHex(12), sequence: org.takeSequence())
            user.status.isActivated = false
            if let custom = body["user_id"]?.stringValue, !custom.isEmpty {
                guard custom.count <= 64 else { throw .validation("user_id", custom, "user_id is at most 64 characters") }
                guard !org.isUserIDTaken(custom) else { throw .contact(40111, "user_id already exists", field: "user_id", value: custom) }
                user.userID = custom
            } else {
                repeat { user.userID = org.newHex(8) } while org.isUserIDTaken(user.userID)
            }
            try applyUserFields(body, to: &user, types: types, appID: appID)
            org.insertUser(user)
            return ["user": render(user, types, appID: appID)]
        }
    }

    func writeUser(_ call: APICall, appID: String, full: Bool) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let id = call.pathParameters["user_id"] ?? ""
        var user = try visibleUser(id, types, appID: appID)
        guard !user.status.isResigned else { throw .contact(41050, "user has resigned", field: "user_id", value: id) }
        guard let body = call.json?.objectValue else { throw .validation("body", nil, "request body must be a JSON object") }
        if full { try requireUserFields(body) }
        try applyUserFields(body, to: &user, types: types, appID: appID)
        org.updateUser(user)
        return ["user": render(user, types, appID: appID)]
    }

    private func requireUserFields(_ body: [String: JSON]) throws(APIError) {
        for field in ["name", "mobile", "employee_type"] where (body[field]?.stringValue ?? "").isEmpty {
            throw .validation(field, nil, "\(field) is required")
        }
        guard let departments = body["department_ids"]?.arrayValue, !departments.isEmpty else {
            throw .validation("department_ids", nil, "department_ids is required")
        }
    }

    private func applyUserFields(_ body: [String: JSON], to user: inout User, types: IDTypes, appID: String) throws(APIError) {
        if let name = body["name"]?.stringValue {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw .contact(40105, "name is empty", field: "name", value: name) }
            user.name = name
        }
        if let raw = body["mobile"]?.stringValue {
            guard let mobile = ContactValidation.normalizeMobile(raw) else {
                throw .contact(40104, "mobile is invalid", field: "mobile", value: raw)
            }
            if let other = org.user(mobile: mobile), other.key != user.key {
                throw .contact(40101, "mobile already exists", field: "mobile", value: raw)
            }
            user.mobile = mobile
        }
        if let email = body["email"]?.stringValue {
            if !email.isEmpty {
                guard ContactValidation.isValidEmail(email) else { throw .contact(40106, "email is invalid", field: "email", value: email) }
                if let other = org.user(email: email), other.key != user.key {
                    throw .contact(40102, "email already exists", field: "email", value: email)
                }
            }
            user.email = email
        }
        if let raw = body["department_ids"]?.arrayValue {
            let ids = raw.compactMap(\.stringValue)
            guard ids.count <= 50 else { throw .contact(40142, "a user can be in at most 50 departments", field: "department_ids") }
            guard !ids.isEmpty else { throw .validation("department_ids", nil, "department_ids cannot be empty") }
            var resolved: [String] = []
            for id in ids {
                let openID = try visibleDepartment(id, types, appID: appID, allowRoot: true, field: "department_ids")
                if !resolved.contains(openID) { resolved.append(openID) }
            }
            user.departments = resolved
        }
        if let raw = body["employee_type"], !raw.isNull {
            guard let type = raw.intValue, (1...5).contains(type) else {
                throw .contact(41059, "employee_type is out of range", field: "employee_type", value: raw.stringValue)
            }
            user.employeeType = type
        }
        if let leader = body["leader_user_id"] {
            if let id = leader.stringValue, !id.isEmpty {
                guard let other = org.user(id: id, type: types.user, app: appID) else {
                    throw userNotFound(id, types.user, appID: appID, field: "leader_user_id")
                }
                guard other.key != user.key else { throw .contact(40140, "leader cannot be the user", field: "leader_user_id", value: id) }
                user.leaderUserKey = other.key
            } else {
                user.leaderUserKey = nil
            }
        }
        if let raw = body["gender"], !raw.isNull {
            guard let gender = raw.intValue, (0...3).contains(gender) else {
                throw .validation("gender", raw.stringValue, "gender must be 0, 1, 2 or 3")
            }
            user.gender = gender
        }
        if let raw = body["join_time"], !raw.isNull {
            guard let time = raw.intValue, time >= 0 else { throw .validation("join_time", raw.stringValue, "join_time is seconds") }
            user.joinTime = time
        }
        if let frozen = body["is_frozen"]?.boolValue { user.status.isFrozen = frozen }
        if let visible = body["mobile_visible"]?.boolValue { user.mobileVisible = visible }
        let text: [(String, WritableKeyPath<User, String>)] = [
            ("en_name", \.enName), ("nickname", \.nickname), ("city", \.city), ("country", \.country),
            ("work_station", \.workStation), ("employee_no", \.employeeNo), ("job_title", \.jobTitle),
            ("enterprise_email", \.enterpriseEmail), ("description", \.description),
        ]
        for (field, path) in text { if let value = body[field]?.stringValue { user[keyPath: path] = value } }
    }

    func deleteUser(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let id = call.pathParameters["user_id"] ?? ""
        var user = try visibleUser(id, types, appID: appID)
        guard !user.status.isResigned else { throw .contact(41050, "user has already resigned", field: "user_id", value: id) }
        let body = call.json?.objectValue ?? [:]
        var acceptors: [(String, String)] = body.compactMap { key, value in
            key.hasSuffix("_acceptor_user_id") ? value.stringValue.map { (key, $0) } : nil
        }
        if let email = body["email_acceptor"]?["acceptor_user_id"]?.stringValue {
            acceptors.append(("email_acceptor.acceptor_user_id", email))
        }
        for (field, acceptorID) in acceptors where !acceptorID.isEmpty {
            guard let acceptor = org.user(id: acceptorID, type: types.user, app: appID), acceptor.key != user.key,
                  !acceptor.status.isResigned, !acceptor.status.isFrozen
            else { throw .contact(40138, "acceptor must be an active user", field: field, value: acceptorID) }
        }
        user.status.isResigned = true
        user.status.isActivated = false
        user.departments = []
        org.updateUser(user)
        for department in org.departments.values where department.leaderUserKey == user.key {
            var changed = department
            changed.leaderUserKey = nil
            org.updateDepartment(changed)
        }
        return [:]
    }

    /// `POST /users/:user_id/resurrect`: a resigned user comes back, into `departments` (the root if none given).
    func resurrectUser(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let id = call.pathParameters["user_id"] ?? ""
        var user = try visibleUser(id, types, appID: appID)
        // Not documented; 40013 is the generic contact parameter error.
        guard user.status.isResigned else { throw .contact(40013, "user is not resigned", field: "user_id", value: id) }
        let body = call.json?.objectValue ?? [:]
        var departments: [String] = []
        for item in body["departments"]?.arrayValue ?? [] {
            guard let departmentID = item["department_id"]?.stringValue, !departmentID.isEmpty else {
                throw .validation("departments.department_id", nil, "department_id is required")
            }
            let openID = try visibleDepartment(departmentID, types, appID: appID, allowRoot: true, field: "departments.department_id")
            if !departments.contains(openID) { departments.append(openID) }
        }
        guard departments.count <= 50 else { throw .contact(40142, "a user can be in at most 50 departments", field: "departments") }
        if let other = org.user(mobile: user.mobile), other.key != user.key {
            throw .contact(40101, "mobile already exists", field: "mobile", value: user.mobile)
        }
        if !user.email.isEmpty, let other = org.user(email: user.email), other.key != user.key {
            throw .contact(40102, "email already exists", field: "email", value: user.email)
        }
        user.status.isResigned = false
        user.status.isActivated = true
        user.departments = departments.isEmpty ? [rootDepartment] : departments
        org.updateUser(user)
        return [:]
    }

    /// `PATCH /users/:user_id/update_user_id`: a new custom user_id, once per user (40119 after that).
    func updateUserID(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let id = call.pathParameters["user_id"] ?? ""
        var user = try visibleUser(id, types, appID: appID)
        guard let newID = call.json?["new_user_id"]?.stringValue, !newID.isEmpty else {
            throw .validation("new_user_id", nil, "new_user_id is required")
        }
        guard newID.count <= 64 else { throw .validation("new_user_id", newID, "user_id is at most 64 characters") }
        if newID == user.userID { return [:] }
        guard !org.isUserIDTaken(newID) else { throw .contact(40111, "user_id already exists", field: "new_user_id", value: newID) }
        guard !user.userIDChanged else { throw .contact(40119, "user_id can be changed only once", field: "new_user_id", value: newID) }
        user.userID = newID
        user.userIDChanged = true
        org.updateUser(user)
        return [:]
    }

    // MARK: scope list

    func listScopes(_ call: APICall, appID: String) throws(APIError) -> JSON {
        let types = try idTypes(call)
        let scope = scope(of: appID)
        enum Entry { case user(Int), department(String) }
        var entries: [Entry] = []
        if scope.all {
            entries = org.children(of: rootDepartment).map { .department($0.openID) }
        } else {
            entries = scope.users.sorted().map { .user($0) }
                + scope.departments.sorted { (org.departments[$0]?.sequence ?? 0) < (org.departments[$1]?.sequence ?? 0) }
                .map { .department($0) }
        }
        let cut = try page(entries, call, context: "scopes", defaultSize: 50, maxSize: 100)
        var users: [JSON] = []
        var departments: [JSON] = []
        for entry in cut.items {
            switch entry {
            case .user(let key): users.append(.string(org.externalID(ofUser: key, type: types.user, app: appID)))
            case .department(let id): departments.append(.string(org.externalID(ofDepartment: id, type: types.department)))
            }
        }
        var data: [String: JSON] = ["department_ids": .array(departments), "user_ids": .array(users), "group_ids": [],
                                    "has_more": .bool(cut.hasMore)]
        if let token = cut.token { data["page_token"] = .string(token) }
        return .object(data)
    }
}

/// Opaque page tokens: the offset, bound to the query (context) with a checksum so a token from another query or a
/// hand-edited one is refused.
enum PageToken {
    static func encode(offset: Int, context: String) -> String {
        let payload = "\(offset).\(checksum("\(offset)|\(context)"))"
        return Data(payload.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String, context: String) -> Int? {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: ".")
        guard parts.count == 2, let offset = Int(parts[0]), offset >= 0,
              parts[1] == checksum("\(offset)|\(context)") else { return nil }
        return offset
    }

    private static func checksum(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 36)
    }
}
