import Foundation

/// User APIs and the scope list: read, create, change, resign, bring back and re-id users.
extension ContactState {
    // MARK: users

    func getUser(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let user = try visibleUser(call.pathParameters["user_id"] ?? "", types, app: app)
        return ["user": render(user, types, app: app)]
    }

    func batchUsers(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let ids = call.queryAll("user_ids")
        guard !ids.isEmpty else { throw .validation("user_ids", nil, "user_ids is required") }
        guard ids.count <= 50 else { throw .validation("user_ids", String(ids.count), "at most 50 user_ids") }
        let scope = org.scope(of: app)
        let items = ids.compactMap { org.user(id: $0, type: types.user, app: app.appID) }
            .filter { org.isVisible(user: $0, in: scope) }
            .map { render($0, types, app: app) }
        return ["items": .array(items)]
    }

    func findUsersByDepartment(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        guard let id = call.query("department_id"), !id.isEmpty else {
            throw .validation("department_id", nil, "department_id is required")
        }
        let department = try visibleDepartment(id, types, app: app, allowRoot: true)
        let members = org.members(of: department)
        let cut = try Pagination.cut(members, call, context: "members|\(department)", defaultSize: 10, maxSize: 50)
        return Pagination.data(items: cut.items.map { render($0, types, app: app) }, hasMore: cut.hasMore, token: cut.token)
    }

    func batchGetUserIDs(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        guard let body = call.json?.objectValue else { throw .validation("body", nil, "request body must be a JSON object") }
        let emails = body["emails"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let mobiles = body["mobiles"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard emails.count <= 50 else { throw .validation("emails", String(emails.count), "at most 50 emails") }
        guard mobiles.count <= 50 else { throw .validation("mobiles", String(mobiles.count), "at most 50 mobiles") }
        let includeResigned = body["include_resigned"]?.boolValue ?? false
        let scope = org.scope(of: app)
        func entry(_ user: User?, key: String, value: String) -> JSON {
            var object: [String: JSON] = [key: .string(value)]
            if let user, org.isVisible(user: user, in: scope), includeResigned || !user.status.isResigned {
                object["user_id"] = .string(org.externalID(ofUser: user.key, type: types.user, app: app.appID))
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

    mutating func createUser(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        return try idempotent(call, appID: app.appID) { (contact: inout ContactState) throws(APIError) -> JSON in
            try contact.insertUser(call, types, app: app)
        }
    }

    private mutating func insertUser(_ call: APICall, _ types: IDTypes, app: App) throws(APIError) -> JSON {
        guard let body = call.json?.objectValue else { throw .validation("body", nil, "request body must be a JSON object") }
        try requireUserFields(body)
        try requireFreeSeat()
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
        try applyUserFields(body, to: &user, types: types, app: app)
        org.insertUser(user)
        return ["user": render(user, types, app: app)]
    }

    mutating func writeUser(_ call: APICall, app: App, full: Bool) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let id = call.pathParameters["user_id"] ?? ""
        var user = try visibleUser(id, types, app: app)
        guard !user.status.isResigned else { throw .contact(41050, "user has resigned", field: "user_id", value: id) }
        guard let body = call.json?.objectValue else { throw .validation("body", nil, "request body must be a JSON object") }
        if full { try requireUserFields(body) }
        try applyUserFields(body, to: &user, types: types, app: app)
        org.updateUser(user)
        return ["user": render(user, types, app: app)]
    }

    private func requireUserFields(_ body: [String: JSON]) throws(APIError) {
        for field in ["name", "mobile", "employee_type"] where (body[field]?.stringValue ?? "").isEmpty {
            throw .validation(field, nil, "\(field) is required")
        }
        guard let departments = body["department_ids"]?.arrayValue, !departments.isEmpty else {
            throw .validation("department_ids", nil, "department_ids is required")
        }
    }

    private func applyUserFields(_ body: [String: JSON], to user: inout User, types: IDTypes, app: App) throws(APIError) {
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
                let openID = try visibleDepartment(id, types, app: app, allowRoot: true, field: "department_ids")
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
                guard let other = org.user(id: id, type: types.user, app: app.appID) else {
                    throw userNotFound(id, types.user, app: app, field: "leader_user_id")
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

    mutating func deleteUser(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let id = call.pathParameters["user_id"] ?? ""
        var user = try visibleUser(id, types, app: app)
        guard !user.status.isResigned else { throw .contact(41050, "user has already resigned", field: "user_id", value: id) }
        let body = call.json?.objectValue ?? [:]
        var acceptors: [(String, String)] = body.compactMap { key, value in
            key.hasSuffix("_acceptor_user_id") ? value.stringValue.map { (key, $0) } : nil
        }
        if let email = body["email_acceptor"]?["acceptor_user_id"]?.stringValue {
            acceptors.append(("email_acceptor.acceptor_user_id", email))
        }
        for (field, acceptorID) in acceptors where !acceptorID.isEmpty {
            guard let acceptor = org.user(id: acceptorID, type: types.user, app: app.appID), acceptor.key != user.key,
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
    mutating func resurrectUser(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let id = call.pathParameters["user_id"] ?? ""
        var user = try visibleUser(id, types, app: app)
        // Not documented; 40013 is the generic contact parameter error.
        guard user.status.isResigned else { throw .contact(40013, "user is not resigned", field: "user_id", value: id) }
        try requireFreeSeat()
        let body = call.json?.objectValue ?? [:]
        var departments: [String] = []
        for item in body["departments"]?.arrayValue ?? [] {
            guard let departmentID = item["department_id"]?.stringValue, !departmentID.isEmpty else {
                throw .validation("departments.department_id", nil, "department_id is required")
            }
            let openID = try visibleDepartment(departmentID, types, app: app, allowRoot: true, field: "departments.department_id")
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
    mutating func updateUserID(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let id = call.pathParameters["user_id"] ?? ""
        var user = try visibleUser(id, types, app: app)
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

    func listScopes(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let scope = org.scope(of: app)
        enum Entry { case user(Int), department(String) }
        var entries: [Entry] = []
        if scope.all {
            entries = org.children(of: rootDepartment).map { .department($0.openID) }
        } else {
            entries = scope.users.sorted().map { .user($0) }
                + scope.departments.sorted { (org.departments[$0]?.sequence ?? 0) < (org.departments[$1]?.sequence ?? 0) }
                .map { .department($0) }
        }
        let cut = try Pagination.cut(entries, call, context: "scopes", defaultSize: 50, maxSize: 100)
        var users: [JSON] = []
        var departments: [JSON] = []
        for entry in cut.items {
            switch entry {
            case .user(let key): users.append(.string(org.externalID(ofUser: key, type: types.user, app: app.appID)))
            case .department(let id): departments.append(.string(org.externalID(ofDepartment: id, type: types.department)))
            }
        }
        var data: [String: JSON] = ["department_ids": .array(departments), "user_ids": .array(users), "group_ids": [],
                                    "has_more": .bool(cut.hasMore)]
        if let token = cut.token { data["page_token"] = .string(token) }
        return .object(data)
    }
}
