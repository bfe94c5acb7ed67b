import ArgumentParser
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

    /// Parses and runs the command after setting up the allocator (see `HeapTuning`).
    static func main() {
        HeapTuning.reuseLargeAllocations()
        main(nil)
    }
}
