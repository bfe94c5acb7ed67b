import ArgumentParser
import CLISupport
import Export
import Foundation
import IO
import Model
import Quant

/// `autoscheme export-plan PLAN --to autoround|llmcompressor|llamacpp|json -o FILE [--model MODEL]`.
struct ExportPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-plan",
        abstract: "Write a plan for another tool: auto-round layer_config, llm-compressor recipe, llama-quantize tensor types, or the normalised plan JSON.")

    @Argument(help: "A plan file (autoscheme.plan/1).")
    var plan: String

    @Option(help: "Target: \(PlanExportTarget.allCases.map(\.rawValue).joined(separator: ", ")).")
    var to: PlanExportTarget

    @Option(name: .shortAndLong, help: "Output file (written to a temporary path, then renamed).")
    var output: String

    @Option(help: "The model the plan is for (default: the plan's source model_path). Plan layers are checked against it.")
    var model: String?

    @Flag(help: "Write layers the target's runtime cannot load too (autoround, llmcompressor check every layer against their runtime's table and refuse otherwise; llamacpp refuses formats that are not ggml types or bf16, and with this writes the nearest ggml types).")
    var approximate = false

    func validate() throws {
        try OptionBounds.nonEmptyPaths(["<plan>": plan, "--model": model])
        try OptionBounds.outputFile(output)
    }

    func run() throws {
        let url = URL(fileURLWithPath: plan)
        try OutputPath.check(output, kind: .file, inputs: [plan] + (model.map { [$0] } ?? []))
        let decoded = try PlanExportLayers.readPlan(url)
        try OutputPath.check(output, kind: .file, inputs: [decoded.source.modelPath])
        let description = try QuantizedCheckpointLoader.open(try ModelLoader.resolve(model ?? decoded.source.modelPath))
        try PlanExport.write(decoded, target: to, model: description, file: plan, to: URL(fileURLWithPath: output),
                             deployable: !approximate)
        print("Wrote \(to.rawValue) export of \(decoded.layers.count) layers to \(output)")
    }
}
