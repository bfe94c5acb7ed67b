import ArgumentParser
import CLISupport
import Dispatch
import Foundation
import Report
import Search
import Sensitivity
import TestSupport

/// `autoscheme-bench report`: time to render and write the report for synthetic profiles (seeded,
/// Llama-shaped, 8 formats) with a plan at 2.5 bits and a sweep (above `searchLimit` layers: a pinned
/// plan and no sweep, because the search itself takes minutes there). Goals: < 1 s for 210 layers,
/// < 10 s for 100,000 layers (aggregated heatmap).
struct BenchReport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Time report rendering and writing for synthetic profiles of several sizes.")

    @Option(parsing: .upToNextOption, help: "Layer counts to time.") var layers: [Int] = [210, 100_000]
    @Option(help: "Repetitions per size; the best is reported.") var repeats = 3
    @Option(help: "Seed of the synthetic profiles.") var seed: UInt64 = 7
    @Option(name: .shortAndLong, help: "Also keep each size's report (and its profile, plan, sweep) in DIR/LAYERS/.")
    var output: String?

    /// Sizes up to this are searched (a sweep of 23 budgets); larger ones get a pinned plan and no sweep.
    static let searchLimit = 2000
    /// q/k/v int4, o int3, MLP int2: about 2.53 bits per weight on the synthetic shapes.
    static let pins = [PinRule(pattern: "(q|k|v)_proj", format: "int4/g128"), PinRule(pattern: "o_proj", format: "int3/g128"),
                       PinRule(pattern: "mlp", format: "int2/g128")]

    func validate() throws {
        guard repeats > 0, layers.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("repeats and layer counts must be positive, got \(repeats), \(layers)")
        }
        try OptionBounds.nonEmptyPaths(["-o": output])
    }

    func run() throws {
        print("| layers | formats | html | markdown | write both | goal | html size |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("autoscheme-bench-report-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        var setup: [Double] = []
        for count in layers {
            let setupStart = DispatchTime.now().uptimeNanoseconds
            let profile = SyntheticProfile.make(layers: count, seed: seed)
            let input: ReportInput
            if count <= Self.searchLimit {
                // one sweep; its 2.5-bit point is the plan
                let sweep = try PlanSearch.sweep(profile: profile, options: SearchOptions(averageBits: 2.5),
                                                 targets: try PlanSearch.parseSweep("2.5:8:0.25"))
                input = ReportInput(profile: profile, plans: [LabeledPlan(label: "2.5 bits", plan: sweep.plans[0])],
                                    sweep: sweep)
            } else {
                // a full search of this size takes minutes; pins give a mixed plan without solving
                let plan = try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 2.6, pins: Self.pins))
                input = ReportInput(profile: profile, plans: [LabeledPlan(label: "pinned mix", plan: plan)])
            }
            setup.append(Double(DispatchTime.now().uptimeNanoseconds - setupStart) * 1e-9)
            var html = Double.infinity, md = Double.infinity, write = Double.infinity, size = 0
            for _ in 0..<repeats {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let document = ReportDocument(input: input)
                let text = document.html()
                let t1 = DispatchTime.now().uptimeNanoseconds
                _ = document.markdown()
                let t2 = DispatchTime.now().uptimeNanoseconds
                try ReportWriter.write(input, to: folder)
                let t3 = DispatchTime.now().uptimeNanoseconds
                html = min(html, Double(t1 - t0) * 1e-9)
                md = min(md, Double(t2 - t1) * 1e-9)
                write = min(write, Double(t3 - t2) * 1e-9)
                size = text.utf8.count
            }
            if let output {
                let dir = URL(fileURLWithPath: output).appendingPathComponent("\(count)")
                try ReportWriter.write(input, to: dir)
                try profile.write(to: dir.appendingPathComponent("profile.json"))
                try input.plans[0].plan.writeJSON(to: dir.appendingPathComponent("plan.json"))
                try input.sweep?.writeJSON(to: dir.appendingPathComponent("sweep.json"))
            }
            let goal = count <= 210 ? "< 1 s" : "< 10 s"
            print("| \(grouped(count)) | \(profile.formats.count) | \(String(format: "%.3f s", html)) | "
                  + "\(String(format: "%.3f s", md)) | \(String(format: "%.3f s", write)) | \(goal) | "
                  + "\(grouped(size / 1000)) kB |")
        }
        print("(not timed: synthetic profile + plan search per size: "
              + zip(layers, setup).map { "\(grouped($0)) layers \(String(format: "%.1f s", $1))" }.joined(separator: ", ") + ")")
    }
}
