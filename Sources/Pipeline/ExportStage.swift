import Export
import Model
import Quant

/// How the export stage writes the checkpoint.
public struct CheckpointOptions: Sendable, Equatable {
    /// Layout: auto_round (packed) or fake (dequantized weights).
    public var format: CheckpointFormat
    /// Element type of the `fake` layout's 2-D tensors: bf16, f16 or f32.
    public var dtype: StorageType

    public init(format: CheckpointFormat = .autoRound, dtype: StorageType = .bf16) {
        self.format = format
        self.dtype = dtype
    }
}

/// The export stage of `run` and `quantize`: the checkpoint, with the quantize statistics beside it.
public enum ExportStage {
    public static func write(_ quantized: QuantizeStage.Output, inputs: ProfileInputs, options: CheckpointOptions,
                             to path: String, overwrite: Bool) throws {
        try CheckpointExport.write(options.format, description: inputs.description, model: inputs.model,
                                   weights: quantized.applied.weights, quantized: quantized.applied.quantized,
                                   tensors: quantized.applied.tensorReplacements, to: path, overwrite: overwrite, fakeDType: options.dtype,
                                   extraFiles: [QuantizeStats.fileName: try quantized.stats.encoded()])
    }
}
