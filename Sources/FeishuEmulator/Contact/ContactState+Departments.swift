import Foundation

/// Department APIs: read, create, change, delete and re-id departments.
extension ContactState {
    // MARK: departments

    mutating func getDepartment(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let id = call.pathParameters["department_id"] ?? ""
        if id == rootDepartment { throw .contact(40161, "cannot get root department", field: "department_id", value: id) }
        let openID = try visibleDepartment(id, types, app: app, allowRoot: false)
        guard let department = org.departments[openID] else { throw departmentNotFound(id, types.department) }
        return ["department": render(department, types, app: app)]
    }

    mutating func batchDepartments(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let ids = call.queryAll("department_ids")
        guard !ids.isEmpty else { throw .validation("department_ids", nil, "department_ids is required") }
        guard ids.count <= 50 else { throw .validation("department_ids", String(ids.count), "at most 50 department_ids") }
        let scope = org.scope(of: app)
        let items = ids.compactMap { org.department(id: $0, type: types.department) }
            .filter { org.isVisible(department: $0.openID, in: scope) }
            .map { render($0, types, app: app) }
        return ["items": .array(items)]
    }

    mutating func departmentChildren(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let id = call.pathParameters["department_id"] ?? ""
        let parent = try visibleDepartment(id, types, app: app, allowRoot: true)
        let recursive = call.query("fetch_child").flatMap { JSON.string($0).boolValue } ?? false
        let all = recursive ? org.descendants(of: parent) : org.children(of: parent)
        let cut = try Pagination.cut(all, call, context: "children|\(parent)|\(recursive)", defaultSize: 10, maxSize: 50)
        return Pagination.data(items: cut.items.map { render($0, types, app: app) }, hasMore: cut.hasMore, token: cut.token)
    }

    mutating func departmentParents(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        guard let id = call.query("department_id"), !id.isEmpty else {
            throw .validation("department_id", nil, "department_id is required")
        }
        let openID = try visibleDepartment(id, types, app: app, allowRoot: false)
        let scope = org.scope(of: app)
        var chain: [Department] = []
        var current = org.departments[openID]?.parent
        while let parentID = current, parentID != rootDepartment, let parent = org.departments[parentID] {
            if org.isVisible(department: parentID, in: scope) { chain.append(parent) }
            current = parent.parent
        }
        let cut = try Pagination.cut(chain, call, context: "parent|\(openID)", defaultSize: 10, maxSize: 50)
        return Pagination.data(items: cut.items.map { render($0, types, app: app) }, hasMore: cut.hasMore, token: cut.token)
    }

    mutating func createDepartment(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        return try idempotent(call, appID: app.appID) { (contact: inout ContactState) throws(APIError) -> JSON in
            try contact.insertDepartment(call, types, app: app)
        }
    }

    private mutating func insertDepartment(_ call: APICall, _ types: IDTypes, app: App) throws(APIError) -> JSON {
        guard let body = call.json?.objectValue else { throw .validation("body", nil, "request body must be a JSON object") }
        guard let name = body["name"]?.stringValue, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .validation("name", nil, "name is required")
        }
        guard let parentID = body["parent_department_id"]?.stringValue, !parentID.isEmpty else {
            throw .validation("parent_department_id", nil, "parent_department_id is required")
        }
        let parent = try visibleDepartment(parentID, types, app: app, allowRoot: true, field: "parent_department_id")
        var department = Department(openID: "od-" + org.newHex(32), customID: "", name: name, parent: parent, order: 0,
                                    sequence: org.takeSequence())
        try applyDepartmentFields(body, to: &department, types: types, app: app, isNew: true)
        org.insertDepartment(department)
        return ["department": render(department, types, app: app)]
    }

    mutating func writeDepartment(_ call: APICall, app: App, full: Bool) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let id = call.pathParameters["department_id"] ?? ""
        if id == rootDepartment { throw .contact(40157, "cannot operate root department", field: "department_id", value: id) }
        let openID = try visibleDepartment(id, types, app: app, allowRoot: false)
        guard var department = org.departments[openID] else { throw departmentNotFound(id, types.department) }
        guard let body = call.json?.objectValue else { throw .validation("body", nil, "request body must be a JSON object") }
        if full {
            guard let name = body["name"]?.stringValue, !name.isEmpty else { throw .validation("name", nil, "name is required") }
            guard body["parent_department_id"]?.stringValue != nil else {
                throw .validation("parent_department_id", nil, "parent_department_id is required")
            }
        }
        if let parentID = body["parent_department_id"]?.stringValue {
            let parent = try visibleDepartment(parentID, types, app: app, allowRoot: true, field: "parent_department_id")
            if parent == openID || org.isAncestor(openID, of: parent) && parent != rootDepartment {
                throw .contact(40013, "a department cannot move under itself", field: "parent_department_id", value: parentID)
            }
            department.parent = parent
        }
        try applyDepartmentFields(body, to: &department, types: types, app: app, isNew: false)
        org.updateDepartment(department)
        return ["department": render(department, types, app: app)]
    }

    private mutating func applyDepartmentFields(_ body: [String: JSON], to department: inout Department, types: IDTypes,
                                                app: App, isNew: Bool) throws(APIError)
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
                guard let user = org.user(id: id, type: types.user, app: app.appID) else {
                    throw userNotFound(id, types.user, app: app, field: "leader_user_id")
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

    mutating func deleteDepartment(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let id = call.pathParameters["department_id"] ?? ""
        if id == rootDepartment { throw .contact(40157, "cannot operate root department", field: "department_id", value: id) }
        let openID = try visibleDepartment(id, types, app: app, allowRoot: false)
        guard org.children(of: openID).isEmpty else {
            throw .contact(40160, "department has sub-departments", field: "department_id", value: id)
        }
        guard !org.hasMembers(openID) else { throw .contact(40159, "department has members", field: "department_id", value: id) }
        org.removeDepartment(openID)
        return [:]
    }

    /// `PATCH /departments/:department_id/update_department_id`: a new custom id, once per department.
    mutating func updateDepartmentID(_ call: APICall, app: App) throws(APIError) -> JSON {
        let types = try call.idTypes()
        let id = call.pathParameters["department_id"] ?? ""
        if id == rootDepartment { throw .contact(40157, "cannot operate root department", field: "department_id", value: id) }
        let openID = try visibleDepartment(id, types, app: app, allowRoot: false)
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
}
