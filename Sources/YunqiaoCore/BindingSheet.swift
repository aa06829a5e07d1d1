import Foundation

/// The association sheet (关联导入, seed 4.2.4): the mirror's Feishu users are exported with an empty column, the admin
/// writes an OA field value (the OA user's mobile, login id…) next to each Feishu user to bind, and imports the sheet
/// with that field chosen. This file holds the sheet's columns, the reading of an uploaded sheet's rows and the plan
/// of what each row does; nothing is guessed — a row binds only when its value names exactly one free OA user.
public enum BindingSheet {
    // MARK: columns

    /// A column of the exported sheet.
    public struct Column: Sendable, Equatable {
        /// The English name, also accepted alone as the header on import (`oa_value`).
        public var key: String
        /// The header as exported: Chinese with the English name in parentheses (`OA 关联值 (oa_value)`), or the
        /// English name alone for ids.
        public var header: String
        /// What else a header may say on import (compared without spaces, case-insensitively, full-width
        /// parentheses as ASCII).
        public var aliases: [String]

        init(_ key: String, chinese: String?, aliases: [String] = []) {
            self.key = key
            header = chinese.map { "\($0) (\(key))" } ?? key
            self.aliases = [key] + (chinese.map { [$0] } ?? []) + aliases
        }

        /// Whether an uploaded sheet's header cell names this column.
        public func matches(_ header: String) -> Bool {
            let given = Self.comparable(header)
            return given == Self.comparable(self.header) || aliases.contains { Self.comparable($0) == given }
        }

        static func comparable(_ text: String) -> String {
            String(text.lowercased().replacingOccurrences(of: "（", with: "(").replacingOccurrences(of: "）", with: ")")
                .filter { !$0.isWhitespace && $0 != "\u{FEFF}" })
        }
    }

    /// The row key: the Feishu user's union_id (the same for every app of the enterprise).
    public static let unionID = Column("union_id", chinese: nil, aliases: ["unionid"])
    /// The empty column the admin fills with an OA field value.
    public static let value = Column("oa_value", chinese: "OA 关联值", aliases: ["关联值"])

    /// The exported columns, in order: `union_id`, name, departments, mobile, email, employee no., `user_id`, the OA
    /// login id the user is bound to (empty when not bound) and the empty `OA 关联值 (oa_value)`. Only `union_id` and
    /// the value column are read back.
    public static let columns: [Column] = [
        unionID,
        Column("name", chinese: "姓名"),
        Column("departments", chinese: "部门"),
        Column("mobile", chinese: "手机"),
        Column("email", chinese: "邮箱"),
        Column("employee_no", chinese: "工号"),
        Column("user_id", chinese: nil),
        Column("bound_oa_login_id", chinese: "已绑定 OA 账号"),
        value,
    ]

    /// One Feishu user of the export.
    public struct ExportRow: Sendable, Equatable {
        public var unionID: String
        public var name: String
        /// Primary department first.
        public var departments: [String]
        public var mobile: String?
        public var email: String?
        public var employeeNo: String?
        public var userID: String?
        /// The login id of the OA user this Feishu user is bound to (the OA user id when the OA user is gone).
        public var boundLoginID: String?

        public init(unionID: String, name: String, departments: [String] = [], mobile: String? = nil, email: String? = nil,
                    employeeNo: String? = nil, userID: String? = nil, boundLoginID: String? = nil)
        {
            self.unionID = unionID
            self.name = name
            self.departments = departments
            self.mobile = mobile
            self.email = email
            self.employeeNo = employeeNo
            self.userID = userID
            self.boundLoginID = boundLoginID
        }

        /// The cells in the order of ``BindingSheet/columns``, the value column empty.
        public var cells: [String] {
            [unionID, name, departments.joined(separator: "; "), mobile ?? "", email ?? "", employeeNo ?? "", userID ?? "",
             boundLoginID ?? "", ""]
        }
    }

    // MARK: reading an uploaded sheet

    /// A row of an uploaded sheet: its line (1 is the header) and the two cells that matter, trimmed.
    public struct Row: Sendable, Equatable, Codable {
        public var line: Int
        public var unionID: String
        public var value: String

        public init(line: Int, unionID: String, value: String) {
            self.line = line
            self.unionID = unionID
            self.value = value
        }
    }

    /// The sheet cannot be read: a column is missing or named twice. Nothing is imported.
    public struct HeaderError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: LocalizedText
        public init(message: LocalizedText) { self.message = message }
        public var description: String { message.description }
    }

    /// The rows of a sheet whose first row names the columns (in any order; other columns are ignored). Rows with
    /// neither a union_id nor a value (blank lines, notes under the table) are left out.
    public static func rows(_ cells: [[String]]) throws(HeaderError) -> [Row] {
        guard let header = cells.first, header.contains(where: { !$0.isEmpty }) else {
            throw HeaderError(message: "the sheet is empty: the first row must name the columns \(unionID.key) and \(value.header)")
        }
        func position(of column: Column) throws(HeaderError) -> Int {
            let found = header.indices.filter { column.matches(header[$0]) }
            guard let first = found.first else { throw HeaderError(message: "missing column \(column.header)") }
            guard found.count == 1 else { throw HeaderError(message: "column \(column.header) appears more than once") }
            return first
        }
        let unionColumn = try position(of: unionID), valueColumn = try position(of: value)
        var rows: [Row] = []
        rows.reserveCapacity(cells.count)
        for (index, row) in cells.enumerated().dropFirst() {
            let union = row.indices.contains(unionColumn) ? row[unionColumn].trimmingCharacters(in: .whitespacesAndNewlines) : ""
            let text = row.indices.contains(valueColumn) ? row[valueColumn].trimmingCharacters(in: .whitespacesAndNewlines) : ""
            guard !union.isEmpty || !text.isEmpty else { continue }
            rows.append(Row(line: index + 1, unionID: union, value: text))
        }
        return rows
    }

    // MARK: planning

    /// The OA field the values of a sheet are matched against.
    public enum Field: String, Sendable, Codable, CaseIterable, Hashable {
        case loginID, mobile, email, employeeNo, oaID

        /// The comparable form of a value, with auto-bind's normalisation (``BindingField``): mobile numbers with
        /// their country code, emails lower-case, employee numbers upper-case, login and OA ids trimmed.
        public func normalize(_ value: String?) -> String? {
            switch self {
            case .mobile: BindingField.mobile.normalize(value)
            case .email: BindingField.email.normalize(value)
            case .employeeNo: BindingField.employeeNo.normalize(value)
            case .loginID, .oaID: BindingField.userID.normalize(value)
            }
        }
    }

    /// An OA user as the plan sees it.
    public struct OAUser: Sendable, Equatable {
        public var oaID: String
        public var loginID: String
        public var name: String
        public var mobile: String?
        public var email: String?
        public var employeeNo: String?
        /// False for a user who has left: never bound.
        public var active: Bool

        public init(oaID: String, loginID: String, name: String, mobile: String? = nil, email: String? = nil, employeeNo: String? = nil,
                    active: Bool = true)
        {
            self.oaID = oaID
            self.loginID = loginID
            self.name = name
            self.mobile = mobile
            self.email = email
            self.employeeNo = employeeNo
            self.active = active
        }

        func value(of field: Field) -> String? {
            switch field {
            case .loginID: loginID
            case .mobile: mobile
            case .email: email
            case .employeeNo: employeeNo
            case .oaID: oaID
            }
        }

        /// `zhang (张三)`.
        var label: String { "\(loginID) (\(name))" }
    }

    /// What a row does.
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        /// The row binds its Feishu user to the one OA user with the value (in a dry run: would bind).
        case bound
        /// No OA user has the value.
        case notFound
        /// Several OA users have the value, several rows name the same OA user, or the union_id is on several rows.
        case conflict
        /// The Feishu user, or the OA user the value names, is bound already (the message says to whom).
        case alreadyBound
        /// The value cell is empty.
        case skipped
        /// The row cannot be used: no or unknown union_id, a value that is not a mobile number, an OA user who left.
        case invalid
    }

    /// A row's outcome: the OA user its value names (when exactly one) and a message in English, with the people's
    /// names (the Feishu user's when the union_id is a live user of the mirror; the OA user's and login id with the OA
    /// user) for the preview.
    public struct RowResult: Sendable, Equatable, Codable {
        public var line: Int
        public var unionID: String
        public var value: String
        public var outcome: Outcome
        public var oaUserID: String?
        public var message: LocalizedText
        public var feishuName: String?
        public var oaName: String?
        public var oaLoginID: String?

        public init(line: Int, unionID: String, value: String, outcome: Outcome, oaUserID: String? = nil, message: LocalizedText,
                    feishuName: String? = nil, oaName: String? = nil, oaLoginID: String? = nil)
        {
            self.line = line
            self.unionID = unionID
            self.value = value
            self.outcome = outcome
            self.oaUserID = oaUserID
            self.message = message
            self.feishuName = feishuName
            self.oaName = oaName
            self.oaLoginID = oaLoginID
        }
    }

    /// How many rows had each outcome.
    public struct Counts: Sendable, Equatable, Codable {
        public var rows = 0
        public var bound = 0
        public var notFound = 0
        public var conflict = 0
        public var alreadyBound = 0
        public var skipped = 0
        public var invalid = 0

        public init() {}

        public subscript(outcome: Outcome) -> Int {
            get {
                switch outcome {
                case .bound: bound
                case .notFound: notFound
                case .conflict: conflict
                case .alreadyBound: alreadyBound
                case .skipped: skipped
                case .invalid: invalid
                }
            }
            set {
                switch outcome {
                case .bound: bound = newValue
                case .notFound: notFound = newValue
                case .conflict: conflict = newValue
                case .alreadyBound: alreadyBound = newValue
                case .skipped: skipped = newValue
                case .invalid: invalid = newValue
                }
            }
        }
    }

    public struct Plan: Sendable, Equatable {
        /// One result per row, in the sheet's order.
        public var rows: [RowResult]
        public var counts: Counts

        /// The bindings to write: union_id → OA user id.
        public var bindings: [(unionID: String, oaUserID: String)] {
            rows.compactMap { row in row.outcome == .bound ? row.oaUserID.map { (row.unionID, $0) } : nil }
        }
    }

    /// What each row of a sheet does. In this order, the first that applies decides:
    /// 1. an empty value → `skipped`;
    /// 2. no union_id, or one that is not a live user of the enterprise's mirror → `invalid`;
    /// 3. the union_id on several rows (with values) → `conflict` for each of them;
    /// 4. a value the field cannot read (a mobile number with letters) → `invalid`;
    /// 5. the value (normalised like auto-bind) of no active OA user → `invalid` when an OA user who left has it,
    ///    else `notFound`; of several → `conflict`;
    /// 6. the Feishu user bound already (to this OA user or another), or the OA user bound to another Feishu user →
    ///    `alreadyBound`;
    /// 7. several rows naming the same OA user → `conflict` for each of them;
    /// 8. otherwise `bound`.
    /// - Parameters:
    ///   - feishu: the live Feishu users of the enterprise, union_id → name.
    ///   - oa: every OA user of the tenant, those who left included.
    ///   - bound: the enterprise's bindings, union_id → OA user id.
    public static func plan(_ rows: [Row], field: Field, feishu: [String: String], oa: [OAUser], bound: [String: String]) -> Plan {
        var active: [String: [Int]] = [:], left: [String: [Int]] = [:]
        for (index, user) in oa.enumerated() {
            guard let value = field.normalize(user.value(of: field)) else { continue }
            if user.active { active[value, default: []].append(index) } else { left[value, default: []].append(index) }
        }
        var oaIndex: [String: Int] = [:]
        for (index, user) in oa.enumerated() where oaIndex[user.oaID] == nil { oaIndex[user.oaID] = index }
        var boundOA: [String: String] = [:]
        for (unionID, oaUserID) in bound { boundOA[oaUserID] = unionID }
        func label(_ oaUserID: String) -> String { oaIndex[oaUserID].map { oa[$0].label } ?? oaUserID }
        func labels(_ indices: [Int]) -> String {
            let names = indices.map { oa[$0].label }.sorted()
            return names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", … (\(names.count))" : "")
        }
        func lineList(_ lines: [Int]) -> String { lines.map(String.init).joined(separator: ", ") }

        var linesOfUnion: [String: [Int]] = [:]
        for row in rows where !row.unionID.isEmpty && !row.value.isEmpty { linesOfUnion[row.unionID, default: []].append(row.line) }

        var results: [RowResult] = []
        results.reserveCapacity(rows.count)
        var claims: [String: [Int]] = [:]
        for row in rows {
            var result = RowResult(line: row.line, unionID: row.unionID, value: row.value, outcome: .skipped, message: "no value")
            defer { results.append(result) }
            func decide(_ outcome: Outcome, _ message: LocalizedText) {
                result.outcome = outcome
                result.message = message
            }
            guard !row.value.isEmpty else { continue }
            guard !row.unionID.isEmpty else {
                decide(.invalid, "no union_id")
                continue
            }
            guard feishu[row.unionID] != nil else {
                decide(.invalid, "this union_id is not a live user of the enterprise's Feishu directory")
                continue
            }
            if let lines = linesOfUnion[row.unionID], lines.count > 1 {
                decide(.conflict, "the same union_id is on lines \(lineList(lines))")
                continue
            }
            guard let value = field.normalize(row.value) else {
                decide(.invalid, field == .mobile ? "not a mobile number" : "not a valid value")
                continue
            }
            guard let matches = active[value] else {
                if let gone = left[value] {
                    result.oaUserID = gone.count == 1 ? oa[gone[0]].oaID : nil
                    decide(.invalid, "the OA user with this value has left: \(labels(gone))")
                } else {
                    decide(.notFound, "no OA user has this value")
                }
                continue
            }
            guard matches.count == 1 else {
                decide(.conflict, "several OA users have this value: \(labels(matches))")
                continue
            }
            let user = oa[matches[0]]
            result.oaUserID = user.oaID
            if let current = bound[row.unionID] {
                decide(.alreadyBound, current == user.oaID ? "this Feishu user is bound to this OA user already: \(user.label)"
                    : "this Feishu user is already bound to the OA user \(label(current))")
            } else if let other = boundOA[user.oaID] {
                decide(.alreadyBound, "the OA user \(user.label) is already bound to the Feishu user \(feishu[other].map { "\($0) (\(other))" } ?? other)")
            } else {
                claims[user.oaID, default: []].append(results.count)
                decide(.bound, "to the OA user \(user.label)")
            }
        }
        for (oaUserID, indices) in claims where indices.count > 1 {
            let lines = lineList(indices.map { results[$0].line })
            for index in indices {
                results[index].outcome = .conflict
                results[index].message = "lines \(lines) name the same OA user \(label(oaUserID))"
            }
        }
        for index in results.indices {
            results[index].feishuName = feishu[results[index].unionID].flatMap { $0.isEmpty ? nil : $0 }
            if let oaUserID = results[index].oaUserID, let position = oaIndex[oaUserID] {
                results[index].oaName = oa[position].name
                results[index].oaLoginID = oa[position].loginID
            }
        }
        var counts = Counts()
        counts.rows = results.count
        for result in results { counts[result.outcome] += 1 }
        return Plan(rows: results, counts: counts)
    }
}
