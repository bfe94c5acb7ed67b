import ArgumentParser

/// `autoscheme bench ...`: benchmarks that print a table (never timed unit tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks printing a table.",
        subcommands: [BenchSearch.self])
}
