import Foundation
import Formats
import Model
import TensorCore

/// The type of the token embedding and output tensors of a written GGUF (`--embedding-type`).
public enum GGUFEmbeddingType: String, CaseIterable, Sendable, Codable {
    case q8_0, q6_K, q5_K, q4_K, q5_0, q4_0, bf16, f16, f32

    /// llama.cpp's default for a tensor shared by the token embedding and the output, or for the
    /// output (`llama_tensor_get_type` in `src/llama-quant.cpp`, llama.cpp 0c1e570, for every k-quant
    /// and legacy file type): q8_0 when a row of `cols` is not whole 256-weight super-blocks (as
    /// SmolLM2's 576-wide rows), else q6_K. (llama.cpp keeps q8_0 for a Q8_0 file; this writer
    /// keeps q6_K, the smaller of the two, unless asked.)
    public static func llamaCppDefault(cols: Int) -> GGUFEmbeddingType {
        cols % 256 == 0 ? .q6_K : .q8_0
    }

    /// The ggml block type, nil for the float types.
    var blockType: GGMLBlockType? { GGMLBlockType(rawValue: rawValue) }
}

/// How `GGUFExport` writes the file.
public struct GGUFExportOptions: Sendable, Equatable {
    /// Type of `token_embd.weight` and `output.weight`; nil: `GGUFEmbeddingType.llamaCppDefault`.
    public var embeddingType: GGUFEmbeddingType?
    /// `general.quantized_by`.
    public var quantizedBy = "AutoScheme"
    /// `quantize.plan.file`: the plan's file name or a description.
    public var plan: String?
    /// The calibration text the importance weights came from (`quantize.imatrix.*`); nil: none.
    public var calibration: GGUFQuantization.Calibration?

    public init(embeddingType: GGUFEmbeddingType? = nil, plan: String? = nil, calibration: GGUFQuantization.Calibration? = nil) {
        self.embeddingType = embeddingType
        self.plan = plan
        self.calibration = calibration
    }
}

/// Why a GGUF could not be written; one line each, naming the plan, layer or path.
public enum GGUFExportError: Error, LocalizedError, Equatable, Sendable {
    /// The plan holds formats llama.cpp cannot store (int, nvfp4, fp8, activation formats): format -> layers.
    case unstorableFormats(plan: String, formats: [String: [String]])
    /// A quantized layer's codes are not in a form the file can hold (not ggml blocks or bf16 words).
    case unstorableTensor(layer: String, format: String)
    /// The output exists and replacing it was not asked for.
    case outputExists(path: String)

    public var errorDescription: String? {
        switch self {
        case let .unstorableFormats(plan, formats):
            let list = formats.keys.sorted().map { f -> String in
                let layers = formats[f]!
                if layers.isEmpty { return f }
                let shown = layers.prefix(3).joined(separator: ", ") + (layers.count > 3 ? ", ... (\(layers.count) layers)" : "")
                return "\(f) (\(shown))"
            }
            return "Cannot write GGUF from \(plan): llama.cpp cannot store \(list.joined(separator: "; ")); "
                + "plan with ggml types (\(GGMLBlockType.allCases.map(\.name).joined(separator: ", "))) or bf16."
        case let .unstorableTensor(layer, format):
            return "Cannot write GGUF: layer \(layer) is quantized as \(format), which a GGUF file cannot store."
        case let .outputExists(path):
            return "Output '\(path)' exists; pass --overwrite to replace it."
        }
    }
}

/// Writes a quantized model as one GGUF (version 3) that llama.cpp runs: every planned layer in its
/// stored ggml type (bf16 layers as BF16), the token embedding / output at `GGUFExportOptions.
/// embeddingType`, norms F32, other tensors as the source stores them, metadata copied from the
/// source GGUF (`GGUFMetadata(requantizing:as:)`) or built from a Hugging Face folder
/// (`GGUFMetadata(huggingFace:)`, with llama.cpp's converter's Q/K row permutation applied to the
/// weights of Llama and Mistral models). The file is written by `GGUFWriter` through a hidden sibling
/// renamed into place.
public enum GGUFExport {
    /// Refuses formats a GGUF file cannot hold (anything but ggml block types and bf16), listing
    /// each with its layers. - Throws: `GGUFExportError.unstorableFormats`.
    public static func check(_ formats: [LayerID: QuantFormat], plan: String) throws {
        var bad: [String: [String]] = [:]
        for (id, f) in formats.sorted(by: { $0.key < $1.key }) where !storable(f) {
            bad[f.name, default: []].append(id.description)
        }
        if !bad.isEmpty { throw GGUFExportError.unstorableFormats(plan: plan, formats: bad) }
    }

    /// Refuses candidate formats a GGUF cannot hold (`run --format gguf`, before the profile).
    /// - Throws: `GGUFExportError.unstorableFormats` naming `source` and the formats.
    public static func checkCandidates(_ formats: [QuantFormat], source: String) throws {
        let bad = formats.filter { !storable($0) }
        if !bad.isEmpty {
            throw GGUFExportError.unstorableFormats(plan: source, formats: Dictionary(uniqueKeysWithValues: bad.map { ($0.name, []) }))
        }
    }

    /// Whether a GGUF can store `format` as planned: ggml block types, bf16, and (weights-only)
    /// mxfp4, whose blocks are ggml's `block_mxfp4` of the same values (`mxfp4Blocks`).
    public static func storable(_ format: QuantFormat) -> Bool {
        format.activation == nil && (format.family == .ggml || format.family == .bf16 || format.family == .mxfp4)
    }

    /// The llama.cpp file type that describes a mix: the stored type holding the most weights,
    /// named as llama.cpp's presets whose main type it is (q3_K -> Q3_K_M, q4_K -> Q4_K_M,
    /// q5_K -> Q5_K_M). `general.file_type` only describes the file; each tensor keeps its type.
    public static func fileType(_ tensors: [QuantizedTensor]) -> LlamaFileType {
        var weights: [String: Int] = [:]
        for t in tensors { weights[t.format.name, default: 0] += t.rows * t.cols }
        guard let top = weights.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key else { return .f16 }
        let byType: [String: LlamaFileType] = [
            "q2_K": .q2_K, "q3_K": .q3_K_M, "q4_K": .q4_K_M, "q5_K": .q5_K_M, "q6_K": .q6_K,
            "q4_0": .q4_0, "q4_1": .q4_1, "q5_0": .q5_0, "q5_1": .q5_1, "q8_0": .q8_0, "bf16": .bf16,
        ]
        return byType[top] ?? .f16
    }

    /// Writes the file.
    /// - Parameters:
    ///   - quantized: codes by layer (ggml blocks or bf16 words), rows in the model's order.
    ///   - tensors: replacement values of other tensors by Hugging Face name (tuned norms), stored F32.
    /// - Returns: the file's size in bytes.
    /// - Throws: `GGUFExportError`, `GGUFWriteError` (naming the path), `QuantError`, model file errors;
    ///   nothing is left at `path` after any of them.
    @discardableResult
    public static func write(description: ModelDescription, quantized: [LayerID: QuantizedTensor],
                             tensors replaced: [String: [Float]] = [:], options: GGUFExportOptions,
                             to path: String, overwrite: Bool) throws -> Int {
        if !overwrite, FileManager.default.fileExists(atPath: path) { throw GGUFExportError.outputExists(path: path) }
        let quantization = GGUFQuantization(fileType: fileType(Array(quantized.values)), quantizedBy: options.quantizedBy,
                                            plan: options.plan, calibration: options.calibration)
        let embedding = options.embeddingType ?? .llamaCppDefault(cols: description.config.hiddenSize)
        let out = try tensors(description: description, quantized: quantized, replaced: replaced, embedding: embedding)
        try GGUFWriter.write(metadata: try metadata(description: description, quantization: quantization), tensors: out, to: path)
        return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// The metadata: the source GGUF's (`GGUFMetadata(requantizing:as:)`), or for a Hugging Face
    /// folder what llama.cpp's converter writes (`GGUFMetadata(huggingFace:)`), marked with `quantization`.
    /// - Throws: `ModelFileError`, `TokenizerError` for a folder whose config or tokenizer cannot be converted.
    public static func metadata(description: ModelDescription, quantization: GGUFQuantization) throws -> GGUFMetadata {
        if let source = description.gguf, let first = source.files.first {
            return GGUFMetadata(requantizing: first, as: quantization)
        }
        var m = try GGUFMetadata(huggingFace: description.path, fileType: quantization.fileType,
                                 parameterCount: description.parameterCount)
        m.setQuantization(quantization)
        return m
    }

    /// Every tensor of the model in its order, under its GGUF name: planned layers as `quantized`
    /// holds them, `replaced` tensors as F32, the token embedding and output at `embedding`, the rest kept.
    /// - Throws: `GGUFExportError.unstorableTensor`, `QuantError`, model file errors.
    public static func tensors(description: ModelDescription, quantized: [LayerID: QuantizedTensor],
                               replaced: [String: [Float]] = [:], embedding: GGUFEmbeddingType) throws -> [GGUFOutputTensor] {
        let byName = Dictionary(uniqueKeysWithValues: quantized.map { ($0.key.weightName, $0.value) })
        return try description.tensors.tensorInfos.map { info in
            let ggufName = description.gguf?.ggufName(info.name) ?? GGUFNames.gguf(info.name)
            if let q = byName[info.name] {
                return try tensor(q, name: ggufName, rowOrder: ggufRowOrder(for: info.name, description: description))
            } else if let values = replaced[info.name] {
                return floatTensor(values, name: ggufName, shape: info.shape, type: .f32)
            } else if info.name == "model.embed_tokens.weight" || info.name == "lm_head.weight" {
                return try embeddingTensor(info, name: ggufName, type: embedding, description: description)
            }
            return try keptTensor(info, name: ggufName, description: description)
        }
    }

    /// For a weight of a Hugging Face Llama or Mistral folder whose Q/K rows llama.cpp's converter
    /// permutes (`LlamaModel.permute`), the source row of each GGUF row; nil otherwise (a GGUF source
    /// is already in its own order, Qwen models are not permuted).
    static func ggufRowOrder(for name: String, description: ModelDescription) -> [Int]? {
        guard description.gguf == nil, ["llama", "mistral"].contains(description.config.modelType),
              description.ropeLayout == .rotateHalf else { return nil }
        let c = description.config
        let heads: Int
        if name.hasSuffix("self_attn.q_proj.weight") { heads = c.numAttentionHeads }
        else if name.hasSuffix("self_attn.k_proj.weight") { heads = c.numKeyValueHeads }
        else { return nil }
        let hfToGGUF = QuantizedCheckpointRows.permutation(heads: heads, headDim: c.headDim)
        var order = [Int](repeating: 0, count: hfToGGUF.count)
        for (hf, gguf) in hfToGGUF.enumerated() { order[gguf] = hf }
        return order
    }

    /// A quantized layer as stored: ggml blocks in their type, bf16 words as BF16.
    static func tensor(_ q: QuantizedTensor, name: String, rowOrder: [Int]?) throws -> GGUFOutputTensor {
        let q = try rowOrder.map { try QuantizedCheckpointRows.reorder(q, order: $0, layer: q.name) } ?? q
        switch q.codes {
        case .blocks(let bytes):
            guard let type = q.format.ggmlType, let traits = GGMLTypeTraits.forID(type.typeID) else {
                throw GGUFExportError.unstorableTensor(layer: q.name, format: q.format.name)
            }
            return GGUFOutputTensor(name: name, shape: [q.rows, q.cols], type: traits, bytes: bytes)
        case .halfWords(let words) where q.format.family == .bf16:
            return GGUFOutputTensor(name: name, shape: [q.rows, q.cols], type: GGMLTypeTraits.forStorage(.bf16)!,
                                    bytes: littleEndianBytes(words))
        case .bytes(let codes) where q.format.family == .mxfp4 && q.format.activation == nil:
            guard q.cols % 32 == 0, let traits = GGMLTypeTraits.forStorage(.mxfp4) else {
                throw GGUFExportError.unstorableTensor(layer: q.name, format: q.format.name + " on rows of \(q.cols) (not whole 32-weight blocks)")
            }
            return GGUFOutputTensor(name: name, shape: [q.rows, q.cols], type: traits, bytes: mxfp4Blocks(codes: codes, scales: q.scales))
        default:
            throw GGUFExportError.unstorableTensor(layer: q.name, format: q.format.name)
        }
    }

    /// OCP MXFP4 codes (one E2M1 code per weight, rows of whole 32-weight blocks) and power-of-two
    /// block scales 2^s as ggml's `block_mxfp4` (`GGML_TYPE_MXFP4`, 17 bytes per 32 weights): the
    /// E8M0 byte s + 127, then byte j holding weight j's code in its low nibble and weight j + 16's in
    /// its high nibble. The grids are the same (ggml's value table is twice E2M1's, its scale half of
    /// 2^(e - 127)), so the block decodes to the same values (the sign of a zero aside); ggml's own
    /// quantizer would round some weights otherwise (ties, Guides/Formats/GGML.md), which is why only
    /// a file this writer makes holds `mxfp4` exactly.
    static func mxfp4Blocks(codes: [UInt8], scales: [Float]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(scales.count * 17)
        for (b, s) in scales.enumerated() {
            out.append(UInt8(clamping: Int(s.exponent) + 127))
            for j in 0..<16 { out.append(codes[32 * b + j] & 0x0F | (codes[32 * b + j + 16] & 0x0F) << 4) }
        }
        return out
    }

    /// The token embedding or output at `type` (a ggml block type falls back as llama.cpp's
    /// quantizer does when a row is not whole blocks): copied as stored when the source already
    /// holds it in that type, else quantized from its floats (llama.cpp's reference quantizer: the
    /// embedding is looked up, not multiplied, so no activation energy applies).
    static func embeddingTensor(_ info: TensorInfo, name: String, type: GGUFEmbeddingType,
                                description: ModelDescription) throws -> GGUFOutputTensor {
        let rows = info.shape.count == 2 ? info.shape[0] : 1, cols = info.shape.last ?? 1
        let values = try description.tensors.floats(info.name)
        guard let block = type.blockType else {
            let storage: StorageType = type == .bf16 ? .bf16 : type == .f16 ? .f16 : .f32
            if let s = description.gguf?.ggufInfo(info.name), s.type.storage == storage, let file = singleFile(description) {
                return GGUFOutputTensor(copying: s, of: file)
            }
            return floatTensor(values, name: name, shape: info.shape, type: storage)
        }
        guard let stored = block.stored(cols: cols) else {
            throw QuantError.rowLengthNotMultipleOfBlock(tensor: name, format: block.name, rowLength: cols, blockSize: block.blockSize)
        }
        let traits = GGMLTypeTraits.forID(stored.typeID)!
        if let s = description.gguf?.ggufInfo(info.name), s.type.id == traits.id, let file = singleFile(description) {
            return GGUFOutputTensor(copying: s, of: file)
        }
        let bytes = try GGMLBlockQuantizer.quantize(Matrix(rows: rows, cols: cols, data: values), type: stored, name: name)
        return GGUFOutputTensor(name: name, shape: info.shape, type: traits, bytes: bytes)
    }

    /// A tensor neither planned nor replaced: 1-D tensors (norms) as F32; others copied as the
    /// source GGUF stores them, or as F16 from a Hugging Face folder (the converter's default).
    static func keptTensor(_ info: TensorInfo, name: String, description: ModelDescription) throws -> GGUFOutputTensor {
        let oneDimensional = info.shape.count == 1 || (info.shape.count == 2 && info.shape[0] == 1)
        if let s = description.gguf?.ggufInfo(info.name), let file = singleFile(description),
           !oneDimensional || s.type.storage == .f32 {
            return GGUFOutputTensor(copying: s, of: file)
        }
        var values = try description.tensors.floats(info.name)
        if let order = ggufRowOrder(for: info.name, description: description) {
            values = QuantizedCheckpointRows.reorder(values, cols: info.shape.last ?? 1, order: order)
        }
        return floatTensor(values, name: name, shape: oneDimensional ? [info.elementCount] : info.shape,
                           type: oneDimensional ? .f32 : .f16)
    }

    /// Float values stored as F32, F16 or BF16 (round to nearest even).
    static func floatTensor(_ values: [Float], name: String, shape: [Int], type: StorageType) -> GGUFOutputTensor {
        let traits = GGMLTypeTraits.forStorage(type)!
        switch type {
        case .f16: return GGUFOutputTensor(name: name, shape: shape, type: traits, bytes: littleEndianBytes(values.map(HalfPrecision.floatToF16)))
        case .bf16: return GGUFOutputTensor(name: name, shape: shape, type: traits, bytes: littleEndianBytes(values.map(HalfPrecision.floatToBF16)))
        default:
            var bytes = [UInt8](); bytes.reserveCapacity(values.count * 4)
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            return GGUFOutputTensor(name: name, shape: shape, type: traits, bytes: bytes)
        }
    }

    /// The source GGUF when it is one file (tensors of a split source are decoded instead of copied).
    static func singleFile(_ description: ModelDescription) -> GGUFFile? {
        guard let files = description.gguf?.files, files.count == 1 else { return nil }
        return files[0]
    }

    static func littleEndianBytes(_ words: [UInt16]) -> [UInt8] {
        var bytes = [UInt8](); bytes.reserveCapacity(words.count * 2)
        for w in words { bytes.append(UInt8(w & 0xff)); bytes.append(UInt8(w >> 8)) }
        return bytes
    }
}
