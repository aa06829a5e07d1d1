import Foundation

/// Reads the OA directory from spreadsheet rows (already split into cells) and validates it (issue #6, "The OA side").
///
/// Two sheets, imported one at a time: departments, then users. The first row names the columns (any order, case
/// does not matter, English or Chinese names); empty rows are skipped; cells are trimmed. Every row is checked and
/// every problem is reported with its line (1-based, the header is line 1): the file is applied whole or not at all.
///
/// Departments: `oa_id` (编号, 部门编号) and `name` (名称, 部门名称) required; `parent_oa_id` (上级部门编号; empty =
/// top level), `subcompany` (分部), `order` (排序, an integer, empty = 0).
///
/// Users: `oa_id` (编号, 人员编号), `login_id` (登录名), `name` (姓名), `department_oa_id` (部门编号, the primary
/// department) required; `mobile` (手机), `email` (邮箱), `employee_no` (工号), `title` (职务),
/// `part_time_department_oa_ids` (兼职部门编号, separated by `;` or `,`), `status` (状态: `active`/`left`, also
/// 在职/离职; empty = active).
public enum OADirectoryImport {
    /// Which sheet a file holds.
    public enum Sheet: String, Sendable, CaseIterable {
        case departments, users
    }

    /// Objects as the rows of a sheet: a header of every key, then one row per object (line = index + 2).
    public static func rows(_ items: [[String: String]]) -> [[String]] {
        let columns = Array(Set(items.flatMap(\.keys))).sorted()
        return [columns] + items.map { item in columns.map { item[$0] ?? "" } }
    }

    public struct Department: Sendable, Equatable, Codable {
        public var oaID: String
        public var name: String
        public var parentOaID: String?
        public var subcompany: String?
        public var order: Int
        /// The line of the file the department came from.
        public var line: Int

        public init(oaID: String, name: String, parentOaID: String? = nil, subcompany: String? = nil, order: Int = 0, line: Int = 0) {
            self.oaID = oaID
            self.name = name
            self.parentOaID = parentOaID
            self.subcompany = subcompany
            self.order = order
            self.line = line
        }
    }

    public struct User: Sendable, Equatable, Codable {
        public var oaID: String
        public var loginID: String
        public var name: String
        public var mobile: String?
        public var email: String?
        public var employeeNo: String?
        public var title: String?
        /// The primary department first, part-time departments after (no repeats).
        public var departmentOaIDs: [String]
        /// `active` or `left`.
        public var status: String
        public var line: Int

        public init(oaID: String, loginID: String, name: String, mobile: String? = nil, email: String? = nil, employeeNo: String? = nil,
                    title: String? = nil, departmentOaIDs: [String], status: String = "active", line: Int = 0)
        {
            self.oaID = oaID
            self.loginID = loginID
            self.name = name
            self.mobile = mobile
            self.email = email
            self.employeeNo = employeeNo
            self.title = title
            self.departmentOaIDs = departmentOaIDs
            self.status = status
            self.line = line
        }
    }

    /// One problem of the file: its line, the column (canonical English name) when one is at fault, and why.
    public struct RowError: Sendable, Equatable, Codable, CustomStringConvertible {
        public var line: Int
        public var column: String?
        public var message: LocalizedText

        public init(line: Int, column: String?, message: LocalizedText) {
            self.line = line
            self.column = column
            self.message = message
        }

        public var description: String { "line \(line)\(column.map { " (\($0))" } ?? ""): \(message)" }
    }

    /// Every problem of a file, in line order.
    public struct Failure: Error, Sendable, Equatable {
        public var errors: [RowError]
        /// How many distinct lines have errors.
        public var lineCount: Int { Set(errors.map(\.line)).count }
    }

    /// A column: its canonical name, the names accepted in the header, and whether a value is required.
    struct Column: Sendable {
        var name: String
        var aliases: [String]
        var required: Bool
    }

    static let departmentColumns: [Column] = [
        Column(name: "oa_id", aliases: ["编号", "部门编号", "id"], required: true),
        Column(name: "name", aliases: ["名称", "部门名称"], required: true),
        Column(name: "parent_oa_id", aliases: ["上级部门编号", "上级编号", "parent"], required: false),
        Column(name: "subcompany", aliases: ["分部", "分部编号"], required: false),
        Column(name: "order", aliases: ["排序", "显示顺序", "sort_order"], required: false),
    ]

    static let userColumns: [Column] = [
        Column(name: "oa_id", aliases: ["编号", "人员编号", "id"], required: true),
        Column(name: "login_id", aliases: ["登录名", "账号"], required: true),
        Column(name: "name", aliases: ["姓名"], required: true),
        Column(name: "mobile", aliases: ["手机", "手机号"], required: false),
        Column(name: "email", aliases: ["邮箱", "电子邮件"], required: false),
        Column(name: "employee_no", aliases: ["工号"], required: false),
        Column(name: "title", aliases: ["职务", "岗位"], required: false),
        Column(name: "department_oa_id", aliases: ["部门编号", "主部门编号"], required: true),
        Column(name: "part_time_department_oa_ids", aliases: ["兼职部门编号", "兼职部门"], required: false),
        Column(name: "status", aliases: ["状态"], required: false),
    ]

    // MARK: departments

    /// Validates the departments sheet. `existing` is what the bridge already has (id → parent id): a parent may be
    /// one of them, and a row of the file replaces the existing department of its id (also for the cycle check).
    public static func departments(_ rows: [[String]], existing: [String: String?] = [:]) throws(Failure) -> [Department] {
        var errors: [RowError] = []
        let table = try header(rows, departmentColumns)
        var departments: [Department] = []
        var firstLine: [String: Int] = [:]
        for (line, cells) in table.body {
            var row = RowReader(line: line, cells: cells, indexes: table.indexes, columns: departmentColumns)
            let oaID = row.required("oa_id"), name = row.required("name")
            let parent = row.optional("parent_oa_id"), subcompany = row.optional("subcompany")
            var order = 0
            if let text = row.optional("order") {
                if let value = Int(text) { order = value } else { row.error("order", "must be an integer, not \"\(text)\"") }
            }
            if let oaID {
                if let first = firstLine[oaID] {
                    row.error("oa_id", "duplicate oa_id \"\(oaID)\" (first on line \(first))")
                } else {
                    firstLine[oaID] = line
                }
            }
            errors += row.errors
            if let oaID, let name, row.errors.isEmpty {
                departments.append(Department(oaID: oaID, name: name, parentOaID: parent, subcompany: subcompany, order: order, line: line))
            }
        }
        // Parents: known, and no cycles, over the existing departments with the file's rows on top.
        var parents: [String: String?] = existing
        for department in departments { parents[department.oaID] = department.parentOaID }
        for department in departments {
            guard let parent = department.parentOaID else { continue }
            guard parents[parent] != nil else {
                errors.append(RowError(line: department.line, column: "parent_oa_id", message: "unknown department \"\(parent)\""))
                continue
            }
            var path = [department.oaID]
            var current: String? = parent
            while let id = current {
                if id == department.oaID {
                    errors.append(RowError(line: department.line, column: "parent_oa_id",
                                           message: "parent cycle: \((path + [id]).joined(separator: " → "))"))
                    break
                }
                // A cycle above this department is reported on the lines of its own members.
                if path.contains(id) { break }
                path.append(id)
                current = parents[id] ?? nil
            }
        }
        if !errors.isEmpty { throw Failure(errors: sorted(errors)) }
        return departments
    }

    // MARK: users

    /// Validates the users sheet. `departments` are the department ids the bridge knows; `existingLogins` maps the
    /// login ids of users already stored to their oa ids (a login id may not move to another user).
    public static func users(_ rows: [[String]], departments: Set<String>, existingLogins: [String: String] = [:]) throws(Failure) -> [User] {
        var errors: [RowError] = []
        let table = try header(rows, userColumns)
        var users: [User] = []
        var firstLine: [String: Int] = [:], firstLogin: [String: Int] = [:]
        for (line, cells) in table.body {
            var row = RowReader(line: line, cells: cells, indexes: table.indexes, columns: userColumns)
            let oaID = row.required("oa_id"), loginID = row.required("login_id"), name = row.required("name")
            let primary = row.required("department_oa_id")
            let email = row.optional("email")
            if let email, !isEmail(email) { row.error("email", "not an email address: \"\(email)\"") }
            var status = "active"
            if let text = row.optional("status") {
                switch text.lowercased() {
                case "active", "在职": status = "active"
                case "left", "离职": status = "left"
                default: row.error("status", "must be active or left, not \"\(text)\"")
                }
            }
            var departmentIDs: [String] = []
            if let primary {
                if departments.contains(primary) { departmentIDs.append(primary) } else {
                    row.error("department_oa_id", "unknown department \"\(primary)\"")
                }
            }
            if let text = row.optional("part_time_department_oa_ids") {
                let ids = text.split(whereSeparator: { $0 == ";" || $0 == "," || $0 == "；" || $0 == "，" })
                    .map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
                let unknown = ids.filter { !departments.contains($0) }
                if !unknown.isEmpty {
                    let names = unknown.map { "\"\($0)\"" }.joined(separator: ", ")
                    row.error("part_time_department_oa_ids", unknown.count == 1 ? "unknown department \(names)" : "unknown departments \(names)")
                }
                for id in ids where !departmentIDs.contains(id) && primary != id { departmentIDs.append(id) }
            }
            if let oaID {
                if let first = firstLine[oaID] { row.error("oa_id", "duplicate oa_id \"\(oaID)\" (first on line \(first))") } else {
                    firstLine[oaID] = line
                }
            }
            if let loginID {
                if let first = firstLogin[loginID] {
                    row.error("login_id", "duplicate login_id \"\(loginID)\" (first on line \(first))")
                } else {
                    firstLogin[loginID] = line
                    if let oaID, let owner = existingLogins[loginID], owner != oaID {
                        row.error("login_id", "login_id \"\(loginID)\" belongs to OA user \"\(owner)\"")
                    }
                }
            }
            errors += row.errors
            if let oaID, let loginID, let name, row.errors.isEmpty {
                users.append(User(oaID: oaID, loginID: loginID, name: name, mobile: row.optional("mobile"), email: email,
                                  employeeNo: row.optional("employee_no"), title: row.optional("title"),
                                  departmentOaIDs: departmentIDs, status: status, line: line))
            }
        }
        if !errors.isEmpty { throw Failure(errors: sorted(errors)) }
        return users
    }

    // MARK: parts

    struct Table {
        /// Column name → cell index.
        var indexes: [String: Int]
        /// (line, cells) of the non-empty rows after the header.
        var body: [(Int, [String])]
    }

    static func header(_ rows: [[String]], _ columns: [Column]) throws(Failure) -> Table {
        guard let first = rows.first, first.contains(where: { !$0.trimmingWhitespace().isEmpty }) else {
            throw Failure(errors: [RowError(line: 1, column: nil, message: "the header row is missing")])
        }
        var indexes: [String: Int] = [:]
        var errors: [RowError] = []
        for (index, cell) in first.enumerated() {
            let name = normalize(cell)
            guard !name.isEmpty else { continue }
            // Unknown columns are ignored (a directory export often has more).
            guard let column = columns.first(where: { $0.name == name || $0.aliases.map(normalize).contains(name) }) else { continue }
            if indexes[column.name] != nil {
                errors.append(RowError(line: 1, column: column.name, message: "the column appears twice"))
            } else {
                indexes[column.name] = index
            }
        }
        for column in columns where column.required && indexes[column.name] == nil {
            errors.append(RowError(line: 1, column: column.name, message: "required column missing"))
        }
        if !errors.isEmpty { throw Failure(errors: errors) }
        let body = rows.enumerated().dropFirst().map { ($0.offset + 1, $0.element) }
            .filter { _, cells in cells.contains { !$0.trimmingWhitespace().isEmpty } }
        return Table(indexes: indexes, body: body)
    }

    /// Header names: trimmed, lower case, spaces and dashes as `_`.
    static func normalize(_ name: String) -> String {
        name.trimmingWhitespace().lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    struct RowReader {
        let line: Int
        let cells: [String]
        let indexes: [String: Int]
        let columns: [Column]
        var errors: [RowError] = []

        func optional(_ column: String) -> String? {
            guard let index = indexes[column], index < cells.count else { return nil }
            let value = cells[index].trimmingWhitespace()
            return value.isEmpty ? nil : value
        }

        mutating func required(_ column: String) -> String? {
            let value = optional(column)
            if value == nil { error(column, "required") }
            return value
        }

        mutating func error(_ column: String, _ message: LocalizedText) {
            errors.append(RowError(line: line, column: column, message: message))
        }
    }

    static func sorted(_ errors: [RowError]) -> [RowError] {
        errors.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }

    /// One `@`, something before it, a dotted domain after it, no spaces.
    public static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !text.contains(where: \.isWhitespace) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
