import Export
import Foundation
import Model
import Quant

/// How the export stage writes the checkpoint.
public struct CheckpointOptions: Sendable, Equatable {
    /// Layout: auto_round (packed) or fake (dequantized weights).
    public var format: CheckpointFormat
    /// Element type of the `fake` layout's 2-D tensors: bf16, f16 or f32.
    public var dtype: StorageType
    /// The `gguf` layout's token embedding / output type (nil: llama.cpp's default for the model).
    public var embeddingType: GGUFEmbeddingType?

    public init(format: CheckpointFormat = .autoRound, dtype: StorageType = .bf16, embeddingType: GGUFEmbeddingType? = nil) {
        self.format = format
        self.dtype = dtype
        self.embeddingType = embeddingType
    }
}

/// The export stage of `run` and `quantize`: the checkpoint, with the quantize statistics beside it.
public enum ExportStage {
    public static func write(_ quantized: QuantizeStage.Output, inputs: ProfileInputs, options: CheckpointOptions,
                             to path: String, overwrite: Bool) throws {
        if options.format == .gguf {
            try writeGGUF(quantized, inputs: inputs, options: options, to: path, overwrite: overwrite)
            return
        }
        try CheckpointExport.write(options.format, description: inputs.description, model: inputs.model,
                                   weights: quantized.applied.weights, quantized: quantized.applied.quantized,
                                   tensors: quantized.applied.tensorReplacements, inputQuantizers: quantized.applied.inputQuantizers,
                                   to: path, overwrite: overwrite, fakeDType: options.dtype,
                                   extraFiles: [QuantizeStats.fileName: try quantized.stats.encoded()])
    }

    /// The `gguf` layout: one file at `path`, its provenance keys naming the plan and, when ggml
    /// layers were rounded with activation energy, the calibration text and window count.
    static func writeGGUF(_ quantized: QuantizeStage.Output, inputs: ProfileInputs, options: CheckpointOptions,
                          to path: String, overwrite: Bool) throws {
        let layers = quantized.applied.quantized
        let weighted = layers.values.filter { $0.format.family == .ggml }.count
        let stats = quantized.stats
        let calibration = weighted == 0 ? nil : GGUFQuantization.Calibration(
            dataset: (inputs.calibrationFile as NSString).lastPathComponent, entries: weighted,
            chunks: stats.samples)
        let gguf = GGUFExportOptions(embeddingType: options.embeddingType,
                                     plan: stats.plan.map { ($0 as NSString).lastPathComponent }, calibration: calibration)
        try GGUFExport.write(description: inputs.description, quantized: layers, tensors: quantized.applied.tensorReplacements,
                             options: gguf, to: path, overwrite: overwrite)
    }
}
