import Foundation
import XCTest

/// Runs the built `autoscheme` (or `autoscheme-bench`) executable as a process, as a user would, for
/// end-to-end tests.
enum CLI {
    /// What one run printed and returned.
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The `tool` binary (`autoscheme` by default) in the build products folder beside the test bundle.
    static func executable(_ tool: String = "autoscheme") -> URL {
        var dir = URL(fileURLWithPath: CommandLine.arguments.first { $0.hasSuffix(".xctest") } ?? CommandLine.arguments[0])
        while dir.pathExtension == "xctest" || !FileManager.default.fileExists(atPath: dir.appendingPathComponent(tool).path) {
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        return dir.appendingPathComponent(tool)
    }

    /// Runs `tool arguments...` in `directory` (the current one by default) and waits for it.
    /// `environment` entries are added to (or replace) the test process's environment.
    static func run(_ arguments: [String], tool: String = "autoscheme", in directory: URL? = nil,
                    environment: [String: String] = [:]) throws -> Result {
        let p = Process(), out = Pipe(), err = Pipe()
        p.executableURL = executable(tool)
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Both pipes are drained at once: reading one to its end first would leave the child blocked
        // on a full buffer (64 KiB on Linux) of the other, e.g. a long run's progress on stderr.
        let e = PipeDrain(err.fileHandleForReading)
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let eData = e.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: eData, as: UTF8.self))
    }

    /// Reads one pipe to its end on a thread of its own; `wait()` returns everything it read.
    private final class PipeDrain: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)

        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = handle.readDataToEndOfFile()
                done.signal()
            }
        }

        /// Blocks until the writer closed its end; the semaphore orders the thread's write before this read.
        func wait() -> Data {
            done.wait()
            return data
        }
    }

    /// Path of a cached asset (`scripts/fetch-assets`); skips the test when the cache lacks it.
    static func cached(_ name: String) throws -> String {
        let cache = ProcessInfo.processInfo.environment["AUTOSCHEME_CACHE"] ?? NSHomeDirectory() + "/.cache/autoscheme"
        let path = cache + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(name) not cached in \(cache)") }
        return path
    }

    /// Path of the cached default model.
    static func cachedModel() throws -> String { try cached("SmolLM2-135M-Instruct.Q4_1.gguf") }
}
