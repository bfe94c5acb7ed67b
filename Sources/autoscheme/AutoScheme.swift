import ArgumentParser
import Foundation
import TensorCore

/// The `autoscheme` command: finds and applies mixed-precision quantization plans.
@main
struct AutoScheme: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoscheme",
        abstract: "Find and apply mixed-precision quantization plans for large language models.",
        subcommands: [
            InspectCommand.self,
            ProfileCommand.self,
            SearchCommand.self,
            QuantizeCommand.self,
            EvalCommand.self,
            ExportPlanCommand.self,
            ReportCommand.self,
            RunCommand.self,
            BenchCommand.self,
        ])

    /// Parses and runs the command. A bad argument (unknown option, a value that does not parse, a
    /// failed `validate()`) prints one line, `autoscheme: MESSAGE (see 'autoscheme ... --help')`, and
    /// exits 64 instead of argument-parser's message plus usage block; help and version print as usual.
    /// The allocator is set up first (see `HeapTuning`; the libraries also apply it on first use).
    static func main() {
        HeapTuning.applyOnce()
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let message = AutoScheme.message(for: error)
                .split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }.joined(separator: " ")
            FileHandle.standardError.write(Data("autoscheme: \(message) (see 'autoscheme --help')\n".utf8))
            Foundation.exit(code.rawValue)
        }
        do { try command.run() } catch { exit(withError: error) }
    }
}
