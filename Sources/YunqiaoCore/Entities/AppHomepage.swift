import Foundation

/// Where a Feishu app's homepage leads: an OA homepage app kept in the bridge, a custom URL, or nowhere yet.
public enum AppHomepage: Sendable, Equatable {
    case none
    case oaApp(Int64)
    case custom(String)
}
