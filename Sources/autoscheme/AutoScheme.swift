import ArgumentParser
import CLISupport
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
        ])

    /// Parses and runs the command; every error ends the process as `ToolExit` says. The allocator is
    /// set up first (see `HeapTuning`; the libraries also apply it on first use).
    static func main() {
        HeapTuning.applyOnce()
        runAsTool()
    }
}
