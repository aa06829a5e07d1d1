import Foundation
import YunqiaoCore
import YunqiaoServer
import YunqiaoStore
import YunqiaoServices

/// The demo's OA side: an embedded OA directory made from the synced Feishu org, so every binding method has
/// something to show — most users share an employee no. (auto-bind), some only a mobile number, two OA users share
/// one mobile (a conflict for the queue), and a few match nothing and have an OA password (manual bind on first visit).
enum DemoOADirectory {
    /// The OA password of the users left for manual binding.
    static let password = "yunqiao-oa"

    struct Outcome {
        var users: Int
        var autoBind: AutoBindResult
        /// A Feishu user left for manual binding and the OA login they can bind with.
        var manual: (feishuName: String, oaLogin: String)?
    }

    /// Fills the directory when it is empty (a demo database keeps what was changed in it) and runs auto-bind.
    static func prepare(store: YunqiaoDatabase, enterprise: EnterpriseRecord) async throws -> Outcome? {
        let tenantId = enterprise.tenantId
        let enterpriseId = enterprise.id ?? 0
        guard try await store.oaDirectory.oaUserCount(tenantId: tenantId) == 0 else { return nil }
        let actor = AuditActor("demo")

        let departments = try await store.mirror.departments(enterpriseId: enterpriseId)
        var oaDepartment: [String: String] = [:]
        for (index, department) in departments.enumerated() { oaDepartment[department.openDepartmentID] = String(format: "D%03d", index + 1) }
        let oaDepartments = departments.map { department in
            OADirectoryImport.Department(oaID: oaDepartment[department.openDepartmentID] ?? "", name: department.name,
                                         parentOaID: oaDepartment[department.parentOpenDepartmentID], order: department.order)
        }

        var feishuUsers: [MirrorUser] = []
        while true {
            let page = try await store.mirror.searchUsers(enterpriseId: enterpriseId, limit: 200, offset: feishuUsers.count).users
            feishuUsers += page
            if page.count < 200 { break }
        }
        var oaUsers: [OADirectoryImport.User] = []
        var manual: [(feishuName: String, oaLogin: String, oaID: String)] = []
        for (index, feishu) in feishuUsers.enumerated() {
            let oaID = String(format: "%05d", 10001 + index)
            let login = feishu.email?.split(separator: "@").first.map { String($0).lowercased() } ?? "u\(oaID)"
            var user = OADirectoryImport.User(oaID: oaID, loginID: login, name: feishu.name, mobile: feishu.mobile,
                                              email: feishu.email.map { _ in "\(login)@oa.yunqiao-demo.cn" }, employeeNo: feishu.employeeNo,
                                              title: feishu.jobTitle, departmentOaIDs: feishu.departmentIDs.compactMap { oaDepartment[$0] })
            switch index % 20 {
            case 7:  // nothing in common with Feishu: bound by the user's OA login on first visit
                user.mobile = nil
                user.employeeNo = nil
                manual.append((feishu.name, login, oaID))
            case 3:  // no employee no. in the OA: bound by mobile
                user.employeeNo = nil
            case 11 where index < 20:  // two OA accounts with one mobile: a conflict the admin resolves
                user.employeeNo = nil
                oaUsers.append(OADirectoryImport.User(oaID: String(format: "%05d", 90001 + index), loginID: login + ".old",
                                                      name: feishu.name + "（旧账号）", mobile: feishu.mobile, departmentOaIDs: user.departmentOaIDs))
            default:
                break
            }
            oaUsers.append(user)
        }
        _ = try await store.oaDirectory.importOADirectory(tenantId: tenantId, departments: oaDepartments, users: oaUsers, by: actor)
        let hash = try await Passwords.hash(password)
        for user in manual { try await store.oaDirectory.setOAUserPassword(tenantId: tenantId, oaID: user.oaID, passwordHash: hash, by: actor) }

        let settings = BindingSettings(autoBindEnabled: true)
        _ = try await store.bindings.setBindingSettings(tenantId: tenantId, enterpriseId: enterpriseId, settings, by: actor)
        let result = try await store.bindings.autoBind(tenantId: tenantId, enterpriseId: enterpriseId, fields: settings.fields, by: actor)
        return Outcome(users: oaUsers.count, autoBind: result, manual: manual.first.map { ($0.feishuName, $0.oaLogin) })
    }
}
