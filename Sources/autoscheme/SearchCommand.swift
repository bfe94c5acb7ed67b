import ArgumentParser
import Formats
import CLISupport
import Foundation
import IO
import Search
import Sensitivity

/// `autoscheme search`: reads a profile, solves the plan ILP, writes the plan (or a sweep).
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Pick one format per layer minimizing predicted loss under an average-bit budget.")

    @Argument(help: "Profile JSON (autoscheme.profile/1).")
    var profile: String

    @Option(name: .customLong("avg-bits"), parsing: .unconditional, help: "Target average bits per counted parameter (never exceeded).")
    var averageBits: Double?

    @OptionGroup var counting: CountingArguments
    @OptionGroup var target: TargetArguments

    @Option(help: "Parameters the average is over: searched (layers only) or model (with fixed tensors).")
    var scope: BudgetScope = .searched

    @Option(parsing: .upToNextOption,
            help: "Layers sharing one format: vllm (fused modules, default), none, or regexes whose captures name a group.")
    var share: [String] = []

    @Option(parsing: .upToNextOption, help: "REGEX=FORMAT: fix the format of matching layers.")
    var pin: [String] = []

    @Option(parsing: .upToNextOption, help: "REGEX=FMT,FMT: restrict matching layers to these formats.")
    var allow: [String] = []

    @Option(parsing: .upToNextOption, help: "Only consider these formats.")
    var formats: [String] = []

    @Option(help: "FROM:TO:STEP: solve every budget of the range and write the frontier with a plan per point.")
    var sweep: String?

    @Option(name: .shortAndLong, help: "Output plan (or sweep) JSON.")
    var output: String

    @Flag(help: "Print a machine-readable JSON summary on stdout.")
    var json = false

    func validate() throws {
        if (averageBits == nil) == (sweep == nil) {
            throw ValidationError("Give exactly one of --avg-bits or --sweep.")
        }
        if let averageBits { try OptionBounds.averageBits(averageBits) }
        try OptionBounds.nonEmptyPaths(["<profile>": profile])
        try OptionBounds.outputFile(output)
    }

    var sharingRule: SharingRule {
        switch share {
        case []: return .vllm
        case ["vllm"]: return .vllm
        case ["none"]: return .none
        default: return .patterns(share)
        }
    }

    func run() throws {
        try OutputPath.check(output, kind: .file, inputs: [profile])
        let loaded = try SensitivityProfile.load(from: URL(fileURLWithPath: profile))
        let options = SearchOptions(
            averageBits: averageBits ?? 0, counting: counting.counting, scope: scope, sharing: sharingRule,
            pins: try pin.map(PinRule.init(parsing:)), allows: try allow.map(AllowRule.init(parsing:)),
            formats: formats.isEmpty ? nil : try formats.map { try QuantFormat(parsing: $0) }, target: target.target)
        let url = URL(fileURLWithPath: output)
        if let sweep {
            let result = try PlanSearch.sweep(profile: loaded, options: options, targets: try PlanSearch.parseSweep(sweep))
            try result.writeJSON(to: url)
            print(json ? try SearchSummary.json(result) : SearchSummary.text(result))
        } else {
            let plan = try PlanSearch.run(profile: loaded, options: options)
            try plan.writeJSON(to: url)
            print(json ? try SearchSummary.json(plan) : SearchSummary.text(plan))
        }
    }
}
