import Foundation
import Model
import Formats
import Search

/// A `--tensor-type-file` for llama.cpp's `llama-quantize`: one `TENSOR_NAME=type` line per plan
/// layer and nothing else. llama-quantize reads the file as whitespace-separated `PATTERN=TYPE`
/// tokens (`parse_tensor_type_file` in tools/quantize/quantize.cpp): it has no comment syntax, so
/// every line must be a pattern. Each pattern is lowercased and searched in tensor names as a
/// regular expression (`std::regex_search`, first match wins); the type is a ggml type name.
///
/// Exact GGUF tensor names are used as patterns; a name's dots match themselves, and no other
/// tensor of a Llama-family model contains another's full name, so each line selects one tensor.
///
/// Exact (the default): every layer's format must be a ggml block type or bf16, and each line
/// names the type llama-quantize stores for it, the one the profile measured: the type itself, or
/// for a k-quant on rows that are not whole super-blocks the fallback the ggml quantizer stores
/// too (`GGMLBlockType.stored(cols:)`, the `tensor_type_fallback` of llama-quantize). So the file
/// is applied with no replacement. Other formats are refused by layer and format
/// (`PlanExportError.notLlamaCppTypes`). Approximate (`--approximate`): they are written as the
/// nearest ggml type the row holds (`nearestType`).
enum PlanExportLlamaCpp {
    /// How many tensor names a group of the refusal names.
    static let exampleCount = 3

    /// The ggml name of the type llama-quantize stores for `layer` exactly as the plan measured it,
    /// or nil when the plan's format is not a ggml type or bf16, or is a ggml type neither it nor its
    /// fallback holds at this row length (a row that is not whole 32-weight blocks: llama-quantize
    /// stores F16).
    static func exactType(_ layer: PlanExportLayer) -> String? {
        if layer.format == .bf16 { return "bf16" }
        return layer.format.ggmlType?.stored(cols: layer.layer.inFeatures)?.name
    }

    /// The ggml type nearest to a format llama.cpp cannot store exactly, at the row length llama-quantize
    /// sees (so that it replaces nothing): int2 q2_K, int3 q3_K, int4 q4_K, int8 q8_0, fp8 q8_0
    /// (`GGMLBlockType.nearest(to:)`), then the type llama-quantize stores at this row length (q2_K on
    /// 576 inputs: q4_0); mxfp4 and nvfp4 ggml's `mxfp4` (E2M1 in blocks of 32 with a power-of-two
    /// scale, but llama-quantize's own rounding; ggml's NVFP4 has no fp32 tensor scale); a ggml type
    /// without an exact type "f16", as llama-quantize stores it. K-quants use 256-weight super-blocks with their own scale encoding,
    /// so the result differs from the plan's groups even at the same code width.
    static func nearestType(_ layer: PlanExportLayer) -> String {
        if let exact = exactType(layer) { return exact }
        let cols = layer.layer.inFeatures
        switch layer.format.family {
        case .mxfp4, .nvfp4: return cols % 32 == 0 ? "mxfp4" : "f16"
        case .int, .fp8, .ggml, .bf16: return GGMLBlockType.nearest(to: layer.format)?.llamaCppStored(cols: cols) ?? "bf16"
        }
    }

    /// The file's text: one line per layer, in plan order.
    /// - Parameters:
    ///   - exact: refuse formats llama.cpp cannot store as planned (false: `--approximate`).
    ///   - file: the plan's path, for messages.
    /// - Throws: `PlanExportError.notLlamaCppTypes` naming each refused format with its layer count
    ///   and first tensor names.
    static func tensorTypes(_ layers: [PlanExportLayer], model: ModelDescription, exact: Bool, file: String) throws -> String {
        let named = layers.map { (model.gguf?.ggufName($0.weightName) ?? GGUFNames.gguf($0.weightName), $0) }
        if exact { try check(named, file: file) }
        return named.map { "\($0.0)=\(nearestType($0.1))" }.joined(separator: "\n") + "\n"
    }

    /// Throws when a layer has no exact type: the refused layers grouped by what they are, in plan order.
    static func check(_ named: [(String, PlanExportLayer)], file: String) throws {
        var order: [String] = [], groups: [String: [String]] = [:]
        for (name, layer) in named where exactType(layer) == nil {
            var label = layer.format.name
            if let t = layer.format.ggmlType {
                label += " on \(layer.layer.inFeatures) inputs (llama-quantize stores \(t.llamaCppStored(cols: layer.layer.inFeatures)))"
            }
            if groups[label] == nil { order.append(label) }
            groups[label, default: []].append(name)
        }
        guard !order.isEmpty else { return }
        let lines = order.map { label -> String in
            let names = groups[label] ?? []
            let more = names.count > exampleCount ? ", ..." : ""
            return "\(label): \(names.count) layer\(names.count == 1 ? "" : "s") (\(names.prefix(exampleCount).joined(separator: ", "))\(more))"
        }
        throw PlanExportError.notLlamaCppTypes(file: file, count: groups.values.reduce(0) { $0 + $1.count }, groups: lines)
    }
}
