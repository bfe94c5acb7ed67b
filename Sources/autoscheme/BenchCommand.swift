import ArgumentParser

/// `autoscheme bench ...`: speed measurements printed as tables (never unit tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the speed of parts of the tool and print a table.",
        subcommands: [
            BenchFilesCommand.self,
            BenchFormats.self,
            BenchTokenizer.self,
            BenchForwardCommand.self,
            BenchBackwardCommand.self,
            BenchProfile.self,
            BenchSearch.self,
            BenchSignRound.self,
            BenchReport.self,
            BenchTableCommand.self,
        ])
}
