import Foundation

/// A precondition of a test environment that did not hold: the test fails with this error, naming what was expected.
public struct TestSetupFailure: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// The value, or a ``TestSetupFailure`` naming `what` when it is nil (the support library's `#require`).
public func required<T>(_ value: T?, _ what: @autoclosure () -> String = "a value",
                        sourceLocation: StaticString = #fileID, line: UInt = #line) throws -> T {
    guard let value else { throw TestSetupFailure("\(what()) is missing (\(sourceLocation):\(line))") }
    return value
}

/// Throws a ``TestSetupFailure`` with `message` unless `condition` holds (the support library's `#expect`: an
/// environment that cannot be set up ends the test).
public func check(_ condition: Bool, _ message: @autoclosure () -> String = "a check failed",
                  sourceLocation: StaticString = #fileID, line: UInt = #line) throws {
    guard condition else { throw TestSetupFailure("\(message()) (\(sourceLocation):\(line))") }
}
