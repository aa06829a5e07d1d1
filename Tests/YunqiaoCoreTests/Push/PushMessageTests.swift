import Foundation
import Testing
import YunqiaoCore

@Suite struct PushMessageTests {
    static let valid = PushMessage(
        source: "approval", idempotencyKey: "req-42", recipients: ["2001", "2002"], title: "差旅申请", body: "**张三** 申请出差 3 天",
        fields: [.init(label: "申请人", value: "张三")],
        links: .init(pc: "https://oa.example.com/wf/42", mobile: "http://oa.example.com/m/wf/42"),
        image: .init(url: "https://oa.example.com/img/1.png"), todo: .init(id: "wf-42", actions: ["approve", "reject"]))

    @Test func aValidMessageHasNoErrors() {
        #expect(Self.valid.validate().isEmpty)
        var bare = PushMessage(source: "daily-report", idempotencyKey: "d-1", recipients: ["2001"], title: "日报")
        #expect(bare.validate().isEmpty, "body, fields, links, image and todo are optional")
        bare.title = String(repeating: "题", count: 200)
        bare.body = String(repeating: "文", count: 100_000)
        bare.recipients = (1...1_000).map { "u\($0)" }
        bare.fields = (1...20).map { .init(label: "L\($0)", value: "") }
        #expect(bare.validate().isEmpty, "the limits themselves are allowed")
        bare.links = .init(pc: "https://oa.example.com/文档?name=张三", mobile: "http://127.0.0.1:8080/m/1#top")
        #expect(bare.validate().isEmpty)
    }

    @Test func decodesTheAPIBody() throws {
        let json = """
            {"source": "approval", "idempotencyKey": "req-42", "recipients": ["2001", "2002"],
             "title": "差旅申请", "body": "**张三** 申请出差 3 天",
             "fields": [{"label": "申请人", "value": "张三"}],
             "links": {"pc": "https://oa.example.com/wf/42", "mobile": "http://oa.example.com/m/wf/42"},
             "image": {"url": "https://oa.example.com/img/1.png"},
             "todo": {"id": "wf-42", "actions": ["approve", "reject"]}}
            """
        let message = try JSONDecoder().decode(PushMessage.self, from: Data(json.utf8))
        #expect(message == Self.valid)
        #expect(try JSONDecoder().decode(PushMessage.self, from: JSONEncoder().encode(message)) == message)

        let minimal = #"{"source":"s","idempotencyKey":"k","recipients":["1"],"title":"t"}"#
        let bare = try JSONDecoder().decode(PushMessage.self, from: Data(minimal.utf8))
        #expect(bare.body == "" && bare.fields.isEmpty && bare.links == nil && bare.todo == nil)
    }

    @Test func aTodoWithoutQuickApprovalNeedsNoActions() throws {
        let json = """
            {"source": "approval", "idempotencyKey": "req-43", "recipients": ["2001"], "title": "请假申请",
             "links": {"pc": "https://oa.example.com/wf/43"}, "todo": {"id": "wf-43"}}
            """
        let message = try JSONDecoder().decode(PushMessage.self, from: Data(json.utf8))
        #expect(message.todo == .init(id: "wf-43", actions: []))
        #expect(message.todo?.quickActions == [])
        #expect(message.validate().isEmpty)
    }

    typealias Change = @Sendable (inout PushMessage) -> Void

    static let invalidChanges: [(String, Change)] = [
        ("source", { $0.source = " " }),
        ("source", { $0.source = "*" }),
        ("idempotencyKey", { $0.idempotencyKey = "" }),
        ("idempotencyKey", { $0.idempotencyKey = String(repeating: "k", count: 129) }),
        ("recipients", { $0.recipients = [] }),
        ("recipients", { $0.recipients = (0...1_000).map { "u\($0)" } }),
        ("recipients[1]", { $0.recipients = ["2001", ""] }),
        ("recipients[2]", { $0.recipients = ["2001", "2002", "2001"] }),
        ("title", { $0.title = "" }),
        ("title", { $0.title = String(repeating: "题", count: 201) }),
        ("body", { $0.body = String(repeating: "文", count: 100_001) }),
        ("fields", { $0.fields = (0...20).map { .init(label: "L\($0)", value: "v") } }),
        ("fields[0].label", { $0.fields = [.init(label: " ", value: "v")] }),
        ("fields[0].value", { $0.fields = [.init(label: "L", value: String(repeating: "v", count: 2_001))] }),
        ("links.pc", { $0.links = .init(pc: "/wf/42", mobile: "https://oa.example.com/m") }),
        ("links.pc", { $0.links = .init(pc: "https://oa.example.com/a b") }),
        ("links.mobile", { $0.links = .init(pc: "https://oa.example.com/wf", mobile: "ftp://oa.example.com/m") }),
        ("links.mobile", { $0.links = .init(pc: "https://oa.example.com/wf", mobile: "https:///nohost") }),
        ("image.url", { $0.image = .init(url: "javascript:alert(1)") }),
        ("todo.id", { $0.todo = .init(id: "", actions: []) }),
        ("todo.actions[1]", { $0.todo = .init(id: "wf-1", actions: ["approve", "forward"]) }),
        ("todo.actions[1]", { $0.todo = .init(id: "wf-1", actions: ["reject", "reject"]) }),
        ("links", { $0.links = nil }),
    ]

    @Test(arguments: invalidChanges)
    func errorsNameTheField(_ field: String, _ change: Change) {
        var message = Self.valid
        change(&message)
        let errors = message.validate()
        #expect(errors.map(\.field) == [field], "\(errors)")
        #expect(errors.allSatisfy { !$0.message.description.isEmpty })
    }

    @Test func everyProblemIsReportedInFieldOrder() {
        var message = Self.valid
        message.source = ""
        message.recipients = ["", "2001", "2001"]
        message.title = ""
        message.todo = .init(id: "wf", actions: ["sign"])
        #expect(message.validate().map(\.field) == ["source", "recipients[0]", "recipients[2]", "title", "todo.actions[0]"])
        #expect(message.validate()[2].description == #"recipients[2]: repeats recipients[1] ("2001")"#)
    }

    @Test func quickActionsFollowAFixedOrder() {
        #expect(PushMessage.Todo(id: "t", actions: ["reject", "approve"]).quickActions == [.approve, .reject])
        #expect(PushMessage.Todo(id: "t", actions: ["reject", "sign"]).quickActions == [.reject])
    }
}
