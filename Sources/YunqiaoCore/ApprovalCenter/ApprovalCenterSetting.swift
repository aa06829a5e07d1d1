import Foundation

/// Where a module's todos appear in Feishu (issue #18): as todo cards in a chat (the default), in Feishu's Approval
/// Center (审批中心, `feishu-api.md` §5) as well, or only there.
public enum TodoChannel: String, Sendable, Codable, CaseIterable {
    case card
    case cardAndApprovalCenter
    case approvalCenter

    /// A todo target gets a chat card.
    public var sendsCard: Bool { self != .approvalCenter }
    /// A todo target gets an Approval Center instance.
    public var usesApprovalCenter: Bool { self != .card }
}

/// An OA module's Approval Center setting: the channel and the OA's pages the external approval definition links to
/// (where a user starts a new one of this module on the PC and on the phone).
public struct ApprovalCenterSetting: Sendable, Codable, Equatable {
    public var channel: TodoChannel
    public var pcURL: String?
    public var mobileURL: String?

    public init(channel: TodoChannel = .card, pcURL: String? = nil, mobileURL: String? = nil) {
        self.channel = channel
        self.pcURL = pcURL
        self.mobileURL = mobileURL
    }

    /// The problems of the setting, each naming its field: with the Approval Center on, at least one page; each page an
    /// absolute `http(s)` URL of at most ``PushMessage/maxLinkLength`` characters.
    public func validate() -> [PushMessageError] {
        var problems: [PushMessageError] = []
        for (field, value) in [("pcURL", pcURL), ("mobileURL", mobileURL)] {
            guard let value else { continue }
            if value.unicodeScalars.count > PushMessage.maxLinkLength {
                problems.append(PushMessageError(field: field, message: "at most \(PushMessage.maxLinkLength) characters"))
            } else if !Self.isWebURL(value) {
                problems.append(PushMessageError(field: field, message: "must be an absolute http or https URL"))
            }
        }
        if channel.usesApprovalCenter, pcURL == nil, mobileURL == nil {
            problems.append(PushMessageError(field: "pcURL", message: "the Approval Center needs the OA's PC or mobile page of the module"))
        }
        return problems
    }

    static func isWebURL(_ text: String) -> Bool {
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }),
              let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty
        else { return false }
        return true
    }
}
