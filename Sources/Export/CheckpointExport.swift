import Formats
import Foundation
import Model
import TensorCore

/// The checkpoint layouts `quantize` and `run` write.
public enum CheckpointFormat: String, Sendable, CaseIterable, Codable {
    /// AutoRound's packed layout (`qweight`/`qzeros`/`scales`, MX/NV FP4, FP8 blocks) with
    /// `quantization_config`, plus config and tokenizer files.
    case autoRound = "auto_round"
    /// Dequantized weights as safetensors in the original Hugging Face layout, loadable by anything.
    case fake
    /// One GGUF file (version 3) for llama.cpp: ggml block types as planned (`GGUFExport`).
    case gguf
}

/// Writes a quantized model in one of the checkpoint layouts.
public enum CheckpointExport {
    /// Refuses, before any work, a plan the layout cannot hold: gguf takes ggml types and bf16 only
    /// (`GGUFExport.check`); only auto_round records activation quantization.
    /// - Throws: `GGUFExportError.unstorableFormats`, `ExportError.activationsNotStorable`, naming `plan`'s layers.
    public static func check(_ layout: CheckpointFormat, formats: [LayerID: QuantFormat], plan: String) throws {
        if layout == .gguf { try GGUFExport.check(formats, plan: plan) }
        try refuseActivations(layout, layers: formats.filter { $0.value.activation != nil }.keys)
    }

    /// Only auto_round records activation quantization. - Throws: `ExportError.activationsNotStorable`
    /// naming the first of `layers` (the activation-quantized ones) for any other layout.
    static func refuseActivations(_ layout: CheckpointFormat, layers: some Collection<LayerID>) throws {
        if layout != .autoRound, let id = layers.min() {
            throw ExportError.activationsNotStorable(layout: layout.rawValue, layer: id.description, layers: layers.count)
        }
    }

    /// Writes the quantize stage's output for `description`/`model` to the folder `path`.
    /// - Parameters:
    ///   - weights: dequantized replacement weight by layer (the `fake` layout); layers left out keep the model's.
    ///   - quantized: codes and scales by layer (the `auto_round` layout).
    ///   - tensors: replacement values of other tensors by name (tuned norm weights), same element count.
    ///   - fakeDType: element type of the `fake` layout's 2-D tensors (bf16, f16 or f32).
    ///   - extraFiles: written beside the checkpoint (e.g. `quantize-stats.json`).
    /// - Throws: `ExportError`, `QuantizedCheckpointError` naming the path or tensor.
    public static func write(_ format: CheckpointFormat, description: ModelDescription, model: LlamaModel,
                             weights: [LayerID: Matrix], quantized: [LayerID: QuantizedTensor], tensors: [String: [Float]] = [:],
                             inputQuantizers: [LayerID: ActivationQuantizer] = [:],
                             to path: String, overwrite: Bool, fakeDType: StorageType = .bf16, extraFiles: [String: Data] = [:]) throws {
        try refuseActivations(format, layers: inputQuantizers.keys)
        switch format {
        case .fake:
            try CheckpointWriter.writeFake(model: model, ropeLayout: description.ropeLayout, replacements: weights,
                                           tensors: tensors, to: path, overwrite: overwrite, dtype: fakeDType, extraFiles: extraFiles)
        case .gguf:
            try GGUFExport.write(description: description, quantized: quantized, tensors: tensors, options: GGUFExportOptions(),
                                 to: path, overwrite: overwrite)
        case .autoRound:
            let layers = quantized.sorted { $0.key < $1.key }
                .map { QuantizedLayer(module: $0.key.description, tensor: $0.value, input: inputQuantizers[$0.key]) }
            try AutoRoundCheckpoint.write(model: description, layers: layers, tensors: tensors, to: URL(fileURLWithPath: path),
                                          overwrite: overwrite, extraFiles: extraFiles)
        }
    }
}
