import ArgumentParser
import Foundation
import IO
import TensorCore

/// How the command-line tools (`autoscheme`, `autoscheme-bench`) end: the one place that catches
/// every error, prints it and chooses the exit code. Commands only throw.
///
/// - 0: success (also `--help` and `--version`).
/// - 1 (`failure`): a runtime or input error: a file, model, text, plan, profile or budget that does
///   not work, or an option value only checked when the command runs. One line on stderr,
///   `TOOL: MESSAGE`.
/// - 2 (`usage`): the command line is wrong: an unknown option, a missing or unparsable value, or a
///   value rejected by the command's `validate()`. One line on stderr,
///   `TOOL: MESSAGE (see 'TOOL --help')`, instead of argument-parser's message and usage block.
public enum ToolExit {
    public static let failure: Int32 = 1
    public static let usage: Int32 = 2

    /// The one-line message of an error: its `errorDescription` when it has one.
    public static func message(_ error: Error) -> String {
        (error as? LocalizedError)?.errorDescription ?? "\(error)"
    }

    /// Prints `TOOL: LINE` on stderr.
    public static func printLine(_ line: String, tool: String) {
        FileHandle.standardError.write(Data("\(tool): \(line)\n".utf8))
    }
}

extension ParsableCommand {
    /// Parses the process's arguments, runs the chosen command and exits as `ToolExit` says. The
    /// allocator is set up first (see `HeapTuning`), and an interrupt (SIGINT, SIGTERM, SIGHUP)
    /// removes the partial outputs before the process ends (`StagingCleanup`).
    public static func runAsTool() -> Never {
        HeapTuning.reuseLargeAllocations()
        let tool = configuration.commandName ?? "autoscheme"
        StagingCleanup.installInterruptHandler(tool: tool)
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            guard exitCode(for: error) != .success else { exit(withError: error) }
            exitWithUsage(message(for: error), tool: tool)
        }
        do {
            try command.run()
        } catch let error as ValidationError {
            exitWithUsage(error.message, tool: tool)
        } catch OutputPathError.empty(let option) {
            // Commands refuse empty paths in validate(); an output path reaching run() empty is the same usage error.
            exitWithUsage(OutputPathError.empty(option: option).errorDescription ?? option, tool: tool)
        } catch {
            // `--help` parses as argument-parser's own help command, whose run throws the request.
            guard exitCode(for: error) != .success else { exit(withError: error) }
            ToolExit.printLine(ToolExit.message(error), tool: tool)
            Foundation.exit(ToolExit.failure)
        }
        Foundation.exit(0)
    }

    /// Prints a usage error as one line (argument-parser's message with its line breaks joined) and exits 2.
    private static func exitWithUsage(_ message: String, tool: String) -> Never {
        let line = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        ToolExit.printLine("\(line) (see '\(tool) --help')", tool: tool)
        Foundation.exit(ToolExit.usage)
    }
}
