import Foundation
import Model
import Formats
import Search
import Sensitivity
import IO

/// Tools a plan can be exported for.
public enum PlanExportTarget: String, CaseIterable, Sendable {
    /// auto-round's `layer_config` (JSON): `{module: {bits, group_size, sym, data_type}}`.
    case autoround
    /// An llm-compressor recipe (YAML) with compressed-tensors config groups.
    case llmcompressor
    /// A `--tensor-type-file` for llama.cpp's `llama-quantize`.
    case llamacpp
    /// AutoScheme's own plan JSON, normalised (canonical format names, model order, sorted keys).
    case json
}

/// Renders plans for other tools. Every export covers each plan layer exactly once, by the name the
/// target tool uses (Hugging Face module names, or GGUF tensor names for llama.cpp).
public enum PlanExport {
    /// The text of `plan` for `target`, after checking it against `model`.
    /// - Parameters:
    ///   - file: the plan's path, for messages.
    ///   - deployable: check every layer against the target's runtime table
    ///     (`PlanExportTarget.deploymentTarget`) and write the formats it stores; false writes the
    ///     plan's formats as they are (`export-plan --approximate`; for llama.cpp the nearest ggml types).
    /// - Throws: `PlanExportError` naming the first plan layer that does not match the model,
    ///   `.targetCannotHold` naming layers the runtime cannot load, or `.notLlamaCppTypes` naming
    ///   the layers of each format llama.cpp cannot store as planned.
    public static func render(_ plan: QuantizationPlan, target: PlanExportTarget, model: ModelDescription,
                              file: String, deployable: Bool = false) throws -> String {
        var layers = try PlanExportLayers.resolve(plan, model: model, file: file)
        // llama.cpp's check is its own (every ggml format written as the type llama-quantize stores).
        if deployable, target != .llamacpp, let runtime = target.deploymentTarget {
            layers = try PlanExportTargetCheck.deployable(layers, target: runtime, file: file)
        }
        if target == .autoround || target == .llmcompressor, let l = layers.first(where: { $0.format.family == .ggml }) {
            throw PlanExportError.unsupportedScheme(layer: l.weightName,
                scheme: "\(l.format.name), a ggml block type, which only llama.cpp stores (export-plan --to llamacpp)")
        }
        switch target {
        case .autoround: return try PlanExportAutoRound.layerConfig(layers)
        case .llmcompressor: return PlanExportLLMCompressor.recipe(layers, source: plan.source.modelPath)
        case .llamacpp: return try PlanExportLlamaCpp.tensorTypes(layers, model: model, exact: deployable, file: file)
        case .json: return try normalized(plan, layers: layers, model: model)
        }
    }

    /// Renders and writes to `url` (temporary file, then rename).
    public static func write(_ plan: QuantizationPlan, target: PlanExportTarget, model: ModelDescription,
                             file: String, to url: URL, deployable: Bool = false) throws {
        let text = try render(plan, target: target, model: model, file: file, deployable: deployable)
        try AtomicFile.write(Data(text.utf8), to: url) { QuantizedCheckpointError.writeFailed(path: url.path, reason: $0) }
    }

    /// The plan with canonical format names, layers in the model's order, pretty JSON with sorted keys.
    static func normalized(_ plan: QuantizationPlan, layers: [PlanExportLayer], model: ModelDescription) throws -> String {
        let order = Dictionary(model.linearLayers.enumerated().map { ($1.weightName, $0) }, uniquingKeysWith: { a, _ in a })
        let formats = Dictionary(layers.map { ($0.weightName, $0.format) }, uniquingKeysWith: { a, _ in a })
        var out = plan
        out.layers = plan.layers.map { d in
            var d = d
            let weight = d.name.hasSuffix(".weight") ? d.name : d.name + ".weight"
            d.name = weight
            if let f = formats[weight] { d.format = f }
            return d
        }.sorted { (order[$0.name] ?? 0) < (order[$1.name] ?? 0) }
        return try JSONPolicy.string(out) + "\n"
    }
}
