import ArgumentParser
import Foundation
import Logging
import YunqiaoCore
import YunqiaoServices

@main
struct Yunqiao: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yunqiao",
        abstract: "Yunqiao (云桥): a bridge between an enterprise OA system and Feishu / Lark.",
        version: "0.1.0",
        subcommands: [Demo.self, Serve.self, Admin.self, EmulatorCommand.self, Enterprise.self, Sync.self, Bench.self])

    /// Logging goes to standard error; `YUNQIAO_LOG_LEVEL` (trace … critical) sets the level.
    static func bootstrapLogging(default level: Logger.Level) {
        let configured = ProcessInfo.processInfo.environment["YUNQIAO_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configured ?? level
            return handler
        }
    }
}

/// Writes a line to standard output at once (scripts wait for it).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes a line to standard error.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
