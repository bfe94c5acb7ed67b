import Foundation
import Model
import Formats

/// One quantized linear layer for an export: the Hugging Face module name and its quantized weight
/// (codes, scales, zero points) with rows as `model.tensors` gives them (for a GGUF llama model,
/// Q/K rows in adjacent-pair layout; the writer reorders them).
public struct QuantizedLayer: Sendable, Equatable {
    /// Hugging Face module name, e.g. `model.layers.0.self_attn.q_proj`.
    public var module: String
    public var tensor: QuantizedTensor
    /// The layer's input quantizer (W4A4, W8A8), nil for a weight-only layer.
    public var input: ActivationQuantizer?

    public init(module: String, tensor: QuantizedTensor, input: ActivationQuantizer? = nil) {
        self.module = module
        self.tensor = tensor
        self.input = input
    }

    /// The weights' format with the input quantizer's activations (`nvfp4-a4`), or the weights' alone.
    public var format: QuantFormat {
        guard let a = input?.scheme else { return tensor.format }
        return tensor.format.with(activation: a) ?? tensor.format
    }
}

/// Writes auto-round checkpoints (`quant_method: auto-round`): a Hugging Face folder with
/// `config.json` (+ `quantization_config`), `model.safetensors` and, for a GGUF source, `tokenizer.json`
/// and `tokenizer_config.json` from the GGUF metadata (a Hugging Face source's tokenizer files are copied).
///
/// Tensors: quantized layers as `QuantizedCheckpointTensors` lays them out; linear layers without a
/// quantized layer and every other tensor (embeddings, norms) copied exactly: F32/F16/BF16 sources keep
/// their dtype, GGUF block formats are written as F32 of their decoded values. Q/K rows of a GGUF llama
/// model are reordered to rotate-half. Int layers whose group does not divide their inputs are written
/// in a smaller group with the same weights (`AutoRoundCheckpointGroups`), so auto-round's CPU kernels
/// load them. The folder is built beside `to` and moved into place only when complete.
public enum AutoRoundCheckpoint {
    /// Tokenizer files copied from a Hugging Face source folder when present.
    static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                 "generation_config.json", "vocab.json", "merges.txt"]

    /// Writes the checkpoint of `model` with `layers` quantized into folder `to`, with `extraFiles`
    /// (name to contents, e.g. `quantize-stats.json`) beside it in the same staged folder, so the
    /// folder appears whole or not at all.
    /// - Throws: `QuantizedCheckpointError.outputNotEmpty` when `to` has content and `overwrite` is
    ///   false; `.unknownLayer` / `.shapeMismatch` / `.duplicateLayer` for layers that do not match
    ///   the model (checked before anything is written); packing and file errors. On error `to` is unchanged.
    public static func write(model: ModelDescription, layers: [QuantizedLayer], tensors: [String: [Float]] = [:],
                             to: URL, overwrite: Bool, extraFiles: [String: Data] = [:]) throws {
        let layers = try AutoRoundCheckpointGroups.loadable(layers)
        let byModule = try validate(model: model, layers: layers)
        try TensorReplacements.check(tensors, infos: model.tensors.tensorInfos)
        try QuantizedCheckpointFiles.check(to, overwrite: overwrite)
        let config = try configObject(model: model, layers: layers)
        try QuantizedCheckpointFiles.buildFolder(at: to, overwrite: overwrite) { folder in
            let written = try safetensors(model: model, byModule: byModule, replacing: tensors)
            try SafetensorsWriter.write(written, metadata: ["format": "pt"],
                                        to: folder.appendingPathComponent("model.safetensors").path)
            try HFMetadataConfig.write(config, to: folder)
            if model.kind == .gguf {
                try HFMetadataTokenizer.write(model, to: folder)
            } else {
                try copyTokenizerFiles(from: URL(fileURLWithPath: model.path), to: folder)
            }
            for (name, data) in extraFiles { try data.write(to: folder.appendingPathComponent(name)) }
        }
    }

    /// Checks every layer names a linear layer of `model` once, with the weight's shape.
    static func validate(model: ModelDescription, layers: [QuantizedLayer]) throws -> [String: QuantizedLayer] {
        let linear = Dictionary(model.linearLayers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String: QuantizedLayer] = [:]
        for l in layers {
            guard let target = linear[l.module] else { throw QuantizedCheckpointError.unknownLayer(layer: l.module, model: model.path) }
            guard [l.tensor.rows, l.tensor.cols] == target.shape else {
                throw QuantizedCheckpointError.shapeMismatch(layer: l.module, expected: target.shape, actual: [l.tensor.rows, l.tensor.cols])
            }
            if let a = l.input, l.tensor.format.with(activation: a.scheme) == nil || l.tensor.cols % a.scheme.groupSize != 0 {
                throw QuantizedCheckpointError.shapeMismatch(layer: l.module + " (\(a.scheme.rawValue) activations on \(l.tensor.format.name) weights)",
                                                             expected: [l.tensor.rows, l.tensor.cols - l.tensor.cols % a.scheme.groupSize],
                                                             actual: [l.tensor.rows, l.tensor.cols])
            }
            guard out.updateValue(l, forKey: l.module) == nil else { throw QuantizedCheckpointError.duplicateLayer(layer: l.module) }
        }
        return out
    }

    /// config.json with `quantization_config`.
    static func configObject(model: ModelDescription, layers: [QuantizedLayer]) throws -> [String: Any] {
        var config = try HFMetadataConfig.base(model)
        config["quantization_config"] = AutoRoundQuantizationConfig.object(model: model, layers: layers)
        if model.kind == .gguf, model.tensorInfo("lm_head.weight") == nil { config["tie_word_embeddings"] = true }
        return config
    }

    /// Every tensor of the folder, in the model's tensor order.
    static func safetensors(model: ModelDescription, byModule: [String: QuantizedLayer],
                            replacing replaced: [String: [Float]] = [:]) throws -> [SafetensorsTensor] {
        var out: [SafetensorsTensor] = []
        for info in model.tensors.tensorInfos {
            let module = info.name.hasSuffix(".weight") ? String(info.name.dropLast(7)) : ""
            let order = QuantizedCheckpointRows.sourceRows(for: info.name, model: model)
            if let layer = byModule[module] {
                var q = layer.tensor
                if let order { q = try QuantizedCheckpointRows.reorder(q, order: order, layer: module) }
                out += try QuantizedCheckpointTensors.tensors(q, module: module)
                if let g = layer.input?.inputGlobalScale {
                    // auto-round's NVFP4 W4A4 layers (`FpQuantLinear`): the static activation global scale.
                    out.append(SafetensorsTensor(name: module + ".input_global_scale", shape: [1], floats: [g], as: .f32))
                }
                continue
            }
            var values = try replaced[info.name] ?? model.tensors.floats(info.name)
            if let order {
                let cols = info.shape.count == 2 ? info.shape[1] : 1
                guard order.count * cols == values.count else {
                    throw QuantizedCheckpointError.cannotReorderRows(layer: info.name, reason: "shape \(info.shape) is not heads x head dim rows")
                }
                values = QuantizedCheckpointRows.reorder(values, cols: cols, order: order)
            }
            let dtype: StorageType = [.f32, .f16, .bf16].contains(info.storage) ? info.storage : .f32
            out.append(SafetensorsTensor(name: info.name, shape: info.shape, floats: values, as: dtype))
        }
        return out
    }

    static func copyTokenizerFiles(from source: URL, to folder: URL) throws {
        for name in tokenizerFiles {
            let src = source.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: src.path) else { continue }
            do { try FileManager.default.copyItem(at: src, to: folder.appendingPathComponent(name)) } catch {
                throw QuantizedCheckpointError.writeFailed(path: folder.appendingPathComponent(name).path, reason: error.localizedDescription)
            }
        }
    }
}
