import OAKit
import YunqiaoCore

extension OAConnectorClient.Failure {
    /// What went wrong, keyed for the console (the client itself speaks English only).
    var text: LocalizedText {
        switch self {
        case .timedOut(let host, let after): "no answer from \(host) within \(after)"
        case .unreachable(let host, let reason): "cannot reach \(host): \(reason)"
        case .cancelled: "cancelled"
        case .refused(let status): "the OA refused the connector secret (HTTP \(status)): check the secret on both sides"
        case .status(let status): "the OA answered HTTP \(status)"
        case .tooLarge(let bytes): "the answer is larger than \(bytes / 1024 / 1024) MB"
        case .malformed(let reason): "the answer is not the contract's JSON: \(reason)"
        }
    }
}

extension OAConnectorClient.Failure {
    /// No HTTP answer at all (as opposed to an answer the bridge does not like).
    var isNoAnswer: Bool {
        switch self {
        case .timedOut, .unreachable, .cancelled: true
        default: false
        }
    }
}

extension OAConnectorValue.CellError {
    /// The cell's problem, keyed for the console.
    var text: LocalizedText { LocalizedText(key: message) }
}
