import Foundation
import Formats

/// An llm-compressor recipe: one `QuantizationModifier` whose `config_groups` hold one group per
/// distinct format (`group_0`, `group_1`, ... in order of first appearance in the plan), each with
/// explicit module-name `targets`, compressed-tensors `weights` arguments and the group's storage
/// `format`. Layers kept in bf16 are listed under `ignore`, so every plan layer appears exactly once.
/// Mapping keys are written in sorted order.
///
/// compressed-tensors calls a checkpoint whose groups use different formats `mixed-precision`;
/// that is the model-level format the saved checkpoint reports (a recipe has no key for it).
enum PlanExportLLMCompressor {
    /// compressed-tensors `QuantizationArgs` for a format, as (key, YAML value) in sorted key order.
    static func weightArgs(_ format: QuantFormat) -> [(String, String)] {
        var args: [String: String] = ["dynamic": "false", "num_bits": "\(format.bits)"]
        switch format.family {
        case .int:
            args["type"] = "int"; args["symmetric"] = format.symmetric ? "true" : "false"
        case .mxfp4, .nvfp4, .fp8, .bf16:
            args["type"] = "float"; args["symmetric"] = "true"
        case .ggml:   // refused by `PlanExport.render` before any recipe is written
            args["type"] = "int"; args["symmetric"] = format.symmetric ? "true" : "false"
        }
        switch (format.family, format.granularity) {
        case (.nvfp4, let .group(g)):
            args["strategy"] = "tensor_group"; args["group_size"] = "\(g)"
        case (_, let .group(g)):
            args["strategy"] = "group"; args["group_size"] = "\(g)"
        case (_, let .block(r, c)):
            args["strategy"] = "block"; args["block_structure"] = "[\(r), \(c)]"
        case (_, .perChannel):
            args["strategy"] = "channel"
        case (_, .perTensor):
            args["strategy"] = "tensor"
        }
        return args.keys.sorted().map { ($0, args[$0]!) }
    }

    /// compressed-tensors `QuantizationArgs` of a group's `input_activations`, (key, YAML value) in
    /// sorted key order, as compressed-tensors' presets spell them (quantization/quant_scheme.py
    /// `NVFP4`, `MXFP4`, `FP8_BLOCK`): NVFP4's block scales dynamic and its global scale static
    /// (`dynamic: local`), MXFP4 and FP8 per-group scales dynamic.
    static func inputArgs(_ a: ActivationScheme) -> [(String, String)] {
        var args: [String: String] = ["num_bits": "\(a.elementBits)", "type": "float", "symmetric": "true",
                                      "group_size": "\(a.groupSize)"]
        switch a {
        case .nvfp4: args["strategy"] = "tensor_group"; args["dynamic"] = "local"
        case .mxfp4, .fp8: args["strategy"] = "group"; args["dynamic"] = "true"
        }
        return args.keys.sorted().map { ($0, args[$0]!) }
    }

    /// compressed-tensors storage format of a group.
    static func storageFormat(_ format: QuantFormat) -> String {
        switch format.family {
        case .int: return "pack-quantized"
        case .mxfp4: return "mxfp4-pack-quantized"
        case .nvfp4: return "nvfp4-pack-quantized"
        case .fp8, .bf16: return "float-quantized"
        case .ggml: return "pack-quantized"   // refused by `PlanExport.render` first
        }
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The recipe YAML.
    static func recipe(_ layers: [PlanExportLayer], source: String) -> String {
        var groups: [(format: QuantFormat, targets: [String])] = []
        var ignore: [String] = []
        for l in layers {
            if l.format.family == .bf16 { ignore.append(l.module); continue }
            if let i = groups.firstIndex(where: { $0.format == l.format }) {
                groups[i].targets.append(l.module)
            } else {
                groups.append((l.format, [l.module]))
            }
        }
        var y = ["# AutoScheme plan for llm-compressor (compressed-tensors); source model: \(source)",
                 "# Saved checkpoint format: mixed-precision (each config group carries its own format).",
                 "quant_stage:", "  quant_modifiers:", "    QuantizationModifier:"]
        y.append(groups.isEmpty ? "      config_groups: {}" : "      config_groups:")
        for (i, g) in groups.enumerated() {
            y.append("        group_\(i):")
            y.append("          format: \(storageFormat(g.format))")
            y.append("          targets:")
            y += g.targets.map { "          - \(quoted($0))" }
            y.append("          weights:")
            y += weightArgs(g.format).map { "            \($0.0): \($0.1)" }
            if let a = g.format.activation {
                y.append("          input_activations:")
                y += inputArgs(a).map { "            \($0.0): \($0.1)" }
            }
        }
        y.append(ignore.isEmpty ? "      ignore: []" : "      ignore:")
        y += ignore.map { "      - \(quoted($0))" }
        return y.joined(separator: "\n") + "\n"
    }
}
