import ArgumentParser
import CLISupport
import Foundation
import Report
import Search
import Sensitivity
import IO

/// `autoscheme report profile.json [--plan plan.json ...] [--sweep sweep.json] [--eval eval.json ...] -o DIR`:
/// writes DIR/report.md and DIR/report.html.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a sensitivity report (report.html, self-contained, and report.md) from a profile, plans, a sweep and evaluations.")

    @Argument(help: "The profile file (autoscheme profile -o).")
    var profile: String

    @Option(name: .customLong("plan"), help: "A plan file, or LABEL=FILE (repeatable; the first is the primary plan).")
    var plans: [String] = []

    @Option(help: "A sweep file (autoscheme search --sweep).")
    var sweep: String?

    @Option(name: .customLong("eval"), help: "An `autoscheme eval --json` file, or LABEL=FILE (repeatable).")
    var evals: [String] = []

    @Option(name: .shortAndLong, help: "Output folder (created if needed).")
    var output: String

    @Flag(help: "Print the written paths as JSON: {\"html\", \"markdown\"}.")
    var json = false

    func validate() throws {
        try OptionBounds.nonEmptyPaths(["<profile>": profile, "--sweep": sweep, "-o": output])
        for plan in plans { try OptionBounds.nonEmptyPaths(["--plan": Self.split(plan).1]) }
        for eval in evals { try OptionBounds.nonEmptyPaths(["--eval": Self.split(eval).1]) }
    }

    func run() throws {
        let profileURL = URL(fileURLWithPath: profile)
        let inputs = [profile] + plans.map { Self.split($0).1 } + (sweep.map { [$0] } ?? []) + evals.map { Self.split($0).1 }
        try OutputPath.check(output, kind: .folder, inputs: inputs)
        let loaded = try SensitivityProfile.load(from: profileURL)
        let labeled = try plans.map { argument -> LabeledPlan in
            let (label, path) = Self.split(argument)
            let plan = try ReportInputLoader.loadPlan(URL(fileURLWithPath: path), profile: loaded)
            return LabeledPlan(label: label ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent,
                               plan: plan)
        }
        let sweepFile = try sweep.map { try ReportInputLoader.loadSweep(URL(fileURLWithPath: $0), profile: loaded) }
        let evalResults = try evals.map { try ReportInputLoader.loadEval(argument: $0) }
        let input = ReportInput(profile: loaded, plans: labeled, sweep: sweepFile, evals: evalResults,
                                note: "Inputs: \(profileURL.lastPathComponent)"
                                    + plans.map { ", plan " + Self.shown($0) }.joined()
                                    + (sweep.map { ", sweep " + Self.shown($0) } ?? "")
                                    + evals.map { ", eval " + Self.shown($0) }.joined())
        let files = try ReportWriter.write(input, to: URL(fileURLWithPath: output))
        if json {
            let paths = ["html": files.html.path, "markdown": files.markdown.path]
            print(try JSONPolicy.string(paths, style: .compact, escapingSlashes: false))
        } else {
            print("wrote \(files.html.path)\nwrote \(files.markdown.path)")
        }
    }

    /// `LABEL=FILE` -> (LABEL, FILE) unless the whole argument names an existing file.
    /// A `[LABEL=]PATH` argument as the report names it: the label and the file's name, never the
    /// folder it was read from (a committed report must not carry a scratch path).
    static func shown(_ argument: String) -> String {
        let (label, path) = split(argument)
        let name = URL(fileURLWithPath: path).lastPathComponent
        return label.map { "\($0) (\(name))" } ?? name
    }

    static func split(_ argument: String) -> (String?, String) {
        guard !FileManager.default.fileExists(atPath: argument), let eq = argument.firstIndex(of: "="),
              eq != argument.startIndex else { return (nil, argument) }
        return (String(argument[..<eq]), String(argument[argument.index(after: eq)...]))
    }
}
