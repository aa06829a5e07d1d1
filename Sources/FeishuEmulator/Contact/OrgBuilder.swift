import Foundation

/// Fills an ``Org`` from a fixture or generates a realistic one.
enum OrgBuilder {
    static func build(_ configuration: EmulatorConfiguration) -> Org {
        let fixture: EmulatorFixture? = if case .fixture(let f) = configuration.org { f } else { nil }
        var org = Org(
            tenantName: fixture?.tenantName ?? (configuration.brand == .feishu ? "云桥示例科技有限公司" : "Yunqiao Demo Inc."),
            tenantKey: fixture?.tenantKey ?? "", seed: configuration.seed)
        if org.tenantKey.isEmpty { org.tenantKey = org.newHex(16) }
        for app in configuration.apps { org.addApp(app.appID) }
        switch configuration.org {
        case .empty: break
        case .fixture(let fixture): load(fixture, into: &org)
        case .generated(let users, let departments):
            generate(users: users, departments: departments, brand: configuration.brand, into: &org)
        }
        return org
    }

    // MARK: fixture

    private static func load(_ fixture: EmulatorFixture, into org: inout Org) {
        var openByCustom: [String: String] = [rootDepartment: rootDepartment]
        var orderByParent: [String: Int] = [:]
        for item in fixture.departments {
            let parent = openByCustom[item.parent] ?? rootDepartment
            let order = item.order ?? (orderByParent[parent, default: 0] + 1000)
            orderByParent[parent] = max(order, orderByParent[parent, default: 0])
            let openID = item.openDepartmentID ?? "od-" + org.newHex(32)
            openByCustom[item.departmentID] = openID
            org.insertDepartment(Department(openID: openID, customID: item.departmentID, name: item.name, parent: parent,
                                            order: order, sequence: org.takeSequence()))
        }
        var keyByUserID: [String: Int] = [:]
        for item in fixture.users {
            let key = org.newUserKey()
            keyByUserID[item.userID] = key
            var user = User(key: key, unionID: item.unionID ?? "on_" + org.newHex(32), userID: item.userID, name: item.name,
                            avatarSeed: org.newHex(12), sequence: org.takeSequence())
            user.enName = item.enName
            user.mobile = ContactValidation.normalizeMobile(item.mobile) ?? item.mobile
            user.email = item.email
            user.employeeNo = item.employeeNo
            user.departments = item.departments.map { openByCustom[$0] ?? rootDepartment }
            user.jobTitle = item.jobTitle
            user.employeeType = item.employeeType
            user.gender = item.gender
            user.status.isFrozen = item.isFrozen
            org.insertUser(user)
        }
        for item in fixture.users {
            guard let key = keyByUserID[item.userID], var user = org.users[key] else { continue }
            user.leaderUserKey = item.leader.flatMap { keyByUserID[$0] }
            org.updateUser(user)
        }
        for item in fixture.departments {
            guard let openID = openByCustom[item.departmentID], var department = org.departments[openID] else { continue }
            department.leaderUserKey = item.leader.flatMap { keyByUserID[$0] }
            org.updateDepartment(department)
        }
    }

    // MARK: generation

    private static let topNames = ["总经办", "研发中心", "产品中心", "销售中心", "市场部", "财务部", "人力资源部", "行政部",
                                   "法务部", "客户服务中心", "供应链中心", "信息技术部", "质量管理部", "采购部", "战略发展部"]
    private static let subNames = ["华东区", "华南区", "华北区", "西南区", "平台组", "前端组", "后端组", "测试组", "运维组",
                                   "数据组", "设计组", "招聘组", "薪酬组", "培训组", "大客户部", "渠道部", "直销部",
                                   "会计组", "出纳组", "审计组", "安全组", "架构组", "移动组", "算法组", "品牌组"]
    private static let topNamesEn = ["Executive Office", "R&D", "Product", "Sales", "Marketing", "Finance", "People", "Admin",
                                     "Legal", "Customer Success", "Supply Chain", "IT", "Quality", "Procurement", "Strategy"]
    private static let subNamesEn = ["East", "South", "North", "West", "Platform", "Frontend", "Backend", "QA", "Ops", "Data",
                                     "Design", "Recruiting", "Payroll", "Training", "Key Accounts", "Channels", "Direct",
                                     "Accounting", "Treasury", "Audit", "Security", "Architecture", "Mobile", "AI", "Brand"]
    private static let surnames: [(String, String)] = [
        ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"),
        ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"),
        ("郭", "guo"), ("何", "he"), ("林", "lin"), ("罗", "luo"), ("高", "gao"), ("欧阳", "ouyang"), ("司马", "sima"),
    ]
    private static let givenParts: [(String, String)] = [
        ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
        ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"),
        ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"), ("华", "hua"), ("慧", "hui"), ("宇", "yu"), ("婷", "ting"),
        ("浩", "hao"), ("欣", "xin"), ("子涵", "zihan"), ("思远", "siyuan"), ("雨桐", "yutong"), ("建国", "jianguo"),
    ]
    private static let firstNamesEn = ["James", "Mary", "Robert", "Linda", "Michael", "Emma", "David", "Olivia", "Daniel",
                                       "Sophia", "Lucas", "Mia", "Ethan", "Ava", "Noah", "Chloe", "Liam", "Grace"]
    private static let lastNamesEn = ["Smith", "Johnson", "Brown", "Taylor", "Lee", "Walker", "Hall", "Allen", "Young",
                                      "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson"]
    private static let titles = ["工程师", "高级工程师", "产品经理", "销售经理", "会计", "人事专员", "设计师", "测试工程师",
                                 "运维工程师", "数据分析师", "客户经理", "行政专员", "总监", "经理"]

    private static func generate(users userCount: Int, departments departmentCount: Int, brand: EmulatorConfiguration.Brand,
                                 into org: inout Org) {
        let chinese = brand == .feishu
        var rng = SplitMix64(seed: org.random.next() ^ 0x5EED_0F_0E6)
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }

        // A tree several levels deep: a handful of top-level departments, then each new one under a random
        // existing department of limited depth, so the tree gets 3–5 levels with realistic fan-out.
        var created: [(openID: String, depth: Int)] = []
        var depth: [String: Int] = [rootDepartment: 0]
        let topCount = min(departmentCount, max(1, min(topNames.count, departmentCount / 6 + 3)))
        var orderByParent: [String: Int] = [:]
        for index in 0..<departmentCount {
            let parent: String
            if index < topCount {
                parent = rootDepartment
            } else {
                let candidates = created.filter { $0.depth < 5 }
                parent = candidates[Int(rng.next() % UInt64(candidates.count))].openID
            }
            let parentDepth = depth[parent] ?? 0
            let pool = parent == rootDepartment ? (chinese ? topNames : topNamesEn) : (chinese ? subNames : subNamesEn)
            var name = pool[index < topCount ? index % pool.count : Int(rng.next() % UInt64(pool.count))]
            if org.siblingNameTaken(name, parent: parent) {
                var n = 2
                while org.siblingNameTaken("\(name)\(n)", parent: parent) { n += 1 }
                name = "\(name)\(n)"
            }
            let order = orderByParent[parent, default: 0] + 1000
            orderByParent[parent] = order
            let openID = "od-" + org.newHex(32)
            org.insertDepartment(Department(openID: openID, customID: "D\(1000 + index)", name: name, parent: parent,
                                            order: order, sequence: org.takeSequence()))
            depth[openID] = parentDepth + 1
            created.append((openID, parentDepth + 1))
        }

        var membersOf: [String: [Int]] = [:]
        for index in 0..<userCount {
            let key = org.newUserKey()
            let name: String
            let email: String
            let enName: String
            if chinese {
                let surname = pick(surnames)
                let given = pick(givenParts)
                let given2 = rng.next() % 2 == 0 ? pick(givenParts) : ("", "")
                name = surname.0 + given.0 + given2.0
                enName = (given.1 + given2.1).capitalized + " " + surname.1.capitalized
                email = "\(given.1)\(given2.1).\(surname.1)\(index + 1)@yunqiao-demo.cn"
            } else {
                let first = pick(firstNamesEn)
                let last = pick(lastNamesEn)
                name = "\(first) \(last)"
                enName = name
                email = "\(first.lowercased()).\(last.lowercased())\(index + 1)@yunqiao-demo.com"
            }
            // Departments: ~2% directly under the root, ~10% in two or three departments.
            var departments: [String]
            if created.isEmpty || index % 50 == 7 {
                departments = [rootDepartment]
            } else {
                departments = [pick(created).openID]
                if rng.next() % 10 == 0 {
                    for _ in 0..<(1 + Int(rng.next() % 2)) {
                        let extra = pick(created).openID
                        if !departments.contains(extra) { departments.append(extra) }
                    }
                }
            }
            var user = User(key: key, unionID: "on_" + org.newHex(32), userID: org.newHex(8), name: name,
                            avatarSeed: org.newHex(12), sequence: org.takeSequence())
            while org.isUserIDTaken(user.userID) { user.userID = org.newHex(8) }
            user.enName = enName
            user.email = email
            user.enterpriseEmail = ""
            user.mobile = chinese ? "+86" + String(13_800_000_000 + index * 7 + 1) : "+1" + String(4_155_550_000 + index)
            user.gender = Int(rng.next() % 3)
            user.departments = departments
            user.employeeNo = String(format: "E%06d", index + 1)
            user.employeeType = rng.next() % 12 == 0 ? 2 : 1
            user.jobTitle = pick(titles)
            user.city = chinese ? pick(["上海", "北京", "深圳", "杭州", "成都"]) : pick(["London", "Singapore", "Tokyo"])
            user.country = chinese ? "CN" : "SG"
            user.joinTime = 1_500_000_000 + Int(rng.next() % 250_000_000)
            user.status.isFrozen = rng.next() % 100 == 0
            org.insertUser(user)
            for department in departments { membersOf[department, default: []].append(key) }
        }
        // Leaders: each department's first member leads it; users report to their primary department's leader.
        for item in created {
            guard var department = org.departments[item.openID], let leader = membersOf[item.openID]?.first else { continue }
            department.leaderUserKey = leader
            org.updateDepartment(department)
        }
        for key in org.users.keys.sorted() {
            guard var user = org.users[key], let primary = user.departments.first,
                  let leader = org.departments[primary]?.leaderUserKey, leader != key else { continue }
            user.leaderUserKey = leader
            org.updateUser(user)
        }
    }
}
