/// What a quantized GGUF records about how it was made: `general.file_type`, the tool, the plan
/// and the calibration text, in the keys llama.cpp's own quantize tool writes.
public struct GGUFQuantization: Sendable, Equatable {
    /// The calibration behind the importance weights, written as llama-quantize writes its imatrix.
    public struct Calibration: Sendable, Equatable {
        /// The calibration text (e.g. `lcet10.txt`): `quantize.imatrix.dataset`.
        public var dataset: String
        /// Tensors quantized with importance weights: `quantize.imatrix.entries_count`.
        public var entries: Int
        /// Calibration windows the weights were measured on: `quantize.imatrix.chunks_count`.
        public var chunks: Int

        public init(dataset: String, entries: Int, chunks: Int) {
            self.dataset = dataset
            self.entries = entries
            self.chunks = chunks
        }
    }

    /// `general.file_type`.
    public var fileType: LlamaFileType
    /// The tool and its version, e.g. `AutoScheme 0.9`: `general.quantized_by`.
    public var quantizedBy: String
    /// The plan the tensor types came from (a file name, or a description): `quantize.plan.file`.
    public var plan: String?
    /// The calibration behind importance-weighted rounding; nil when none was used.
    public var calibration: Calibration?

    public init(fileType: LlamaFileType, quantizedBy: String, plan: String? = nil, calibration: Calibration? = nil) {
        self.fileType = fileType
        self.quantizedBy = quantizedBy
        self.plan = plan
        self.calibration = calibration
    }
}

extension GGUFMetadata {
    /// The metadata of a file requantized from `source`: every pair of the source in its order (the
    /// architecture, hyperparameters and the whole tokenizer), then `setQuantization(quantization)`.
    /// Arrays no GGUF writer can store are dropped: an empty one (its element type is not kept, and
    /// gguf-py never writes one) or an array of arrays (llama.cpp's reader refuses the source then).
    public init(requantizing source: GGUFFile, as quantization: GGUFQuantization) {
        self.init(copying: source)
        removeAll { $0.value.unwritableReason != nil }
        setQuantization(quantization)
    }

    /// Marks this metadata as describing a file quantized as `quantization`.
    ///
    /// Removes what would describe the source's quantization or layout rather than this file's:
    /// every `quantize.*` key (an earlier imatrix or plan), `general.tensor_extra.*` (per-tensor
    /// options of the source's quantization) and the split keys `split.*` (the output is one file;
    /// llama-quantize removes them too). Then sets, each in place when present and appended
    /// otherwise: `general.file_type` (uint32), `general.quantization_version` (uint32 2,
    /// `GGML_QNT_VERSION`), `general.quantized_by`, and appends `quantize.plan.file` and, with a
    /// calibration, `quantize.imatrix.dataset` (string), `quantize.imatrix.entries_count` and
    /// `quantize.imatrix.chunks_count` (uint32, as llama-quantize stores its int overrides).
    /// `quantize.imatrix.file` is not written: the importance weights come from the calibration
    /// text in the same run, not from an imatrix file.
    public mutating func setQuantization(_ quantization: GGUFQuantization) {
        removeAll { entry in
            entry.key.hasPrefix(GGUFKeys.quantizePrefix) || entry.key.hasPrefix(GGUFKeys.tensorExtraPrefix)
                || GGUFKeys.split.contains(entry.key)
        }
        self[GGUFKeys.fileType] = .uint32(quantization.fileType.rawValue)
        self[GGUFKeys.quantizationVersion] = .uint32(GGUFKeys.ggmlQuantizationVersion)
        self[GGUFKeys.quantizedBy] = .string(quantization.quantizedBy)
        if let plan = quantization.plan { self[GGUFKeys.planFile] = .string(plan) }
        if let c = quantization.calibration {
            self[GGUFKeys.imatrixDataset] = .string(c.dataset)
            self[GGUFKeys.imatrixEntriesCount] = .uint32(UInt32(clamping: c.entries))
            self[GGUFKeys.imatrixChunksCount] = .uint32(UInt32(clamping: c.chunks))
        }
    }
}
