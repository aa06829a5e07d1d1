import Hummingbird
import YunqiaoServices
import YunqiaoCore

// The use cases' views are answered as JSON as they are.
extension BindingView: ResponseEncodable {}
extension AutoBindResultView: ResponseEncodable {}
extension BindingSettings: ResponseEncodable {}
extension OAModuleView: ResponseEncodable {}
extension PushRuleView: ResponseEncodable {}
extension MessagePageView: ResponseEncodable {}
extension MessageDetailView: ResponseEncodable {}
extension ApprovalCenterSettingView: ResponseEncodable {}
extension ApprovalCheckReport: ResponseEncodable {}
extension DeadLetterPageView: ResponseEncodable {}
extension AcceptedMessageView: ResponseEncodable {}
extension TodoChangeView: ResponseEncodable {}
extension TestSendView: ResponseEncodable {}
extension DecreaseThreshold: ResponseEncodable {}
extension ParkedChangeSummary: ResponseEncodable {}
extension AppliedImport: ResponseEncodable {}
