import ArgumentParser
import CLISupport

/// The `autoscheme-bench` command: measurements of the tool, kept out of the shipped `autoscheme`.
/// Speed tables of its parts (never unit tests), and `compare-plans`, the quality comparison of the
/// searched plan against baseline plans.
@main
struct AutoSchemeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autoscheme-bench",
        abstract: "Measure the speed of parts of AutoScheme, and compare the quality of its plans with baselines.",
        subcommands: [
            BenchBLAS.self,
            BenchFilesCommand.self,
            BenchFormats.self,
            BenchTokenizer.self,
            BenchForwardCommand.self,
            BenchBackwardCommand.self,
            BenchProfile.self,
            BenchSearch.self,
            BenchSignRound.self,
            BenchReport.self,
            ComparePlansCommand.self,
        ])

    /// Parses and runs the command; every error ends the process as `ToolExit` says.
    static func main() { runAsTool() }
}
