import Foundation

/// Departments and users as the contact APIs answer them, with the ids of the caller's types.
extension ContactState {
    /// A department with its member counts (mutating: the counts are cached until the org changes).
    mutating func render(_ department: Department, _ types: IDTypes, app: App) -> JSON {
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
            let id = org.externalID(ofUser: leader, type: types.user, app: app.appID)
            object["leader_user_id"] = .string(id)
            object["leaders"] = [["leader_type": 1, "leader_id": .string(id)]]
        }
        if let chat = department.chatID { object["chat_id"] = .string(chat) }
        return .object(object)
    }

    func render(_ user: User, _ types: IDTypes, app: App) -> JSON {
        let withheld = app.withheldFields
        let avatarBase = "https://s1-imfile.feishucdn.com/static-resource/v1/v2_\(user.avatarSeed)~?image_size="
        var object: [String: JSON] = [
            "union_id": .string(user.unionID),
            "user_id": .string(user.userID),
            "open_id": .string(org.openID(of: user.key, app: app.appID)),
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
            object["leader_user_id"] = .string(org.externalID(ofUser: leader, type: types.user, app: app.appID))
        }
        for field in withheld { object[field] = nil }
        return .object(object)
    }
}
