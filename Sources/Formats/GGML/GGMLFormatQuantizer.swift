import TensorCore

/// The `WeightQuantizer` of the ggml block types: llama.cpp's round-to-nearest quantizers
/// (`GGMLBlockQuantizer`, without importance here; the quantize stage passes importance itself).
///
/// A weight whose rows are not whole blocks of the type is stored the way llama-quantize stores it:
/// in the type's fallback (`GGMLBlockType.stored(cols:)`, e.g. q2_K on 576 inputs is q4_0), so
/// its loss, bits and bytes are the ones llama.cpp would give; the `QuantizedTensor` then carries
/// the stored format. A type with no fallback that fits is refused
/// (`QuantError.rowLengthNotMultipleOfBlock`). Codes and scales are ggml's bytes (`QuantCodes.blocks`);
/// no SignRound adjustments are taken.
public struct GGMLFormatQuantizer: WeightQuantizer {
    public let format: QuantFormat
    let type: GGMLBlockType

    public init(format: QuantFormat) {
        guard let type = format.ggmlType else { preconditionFailure("\(format.name) is not a ggml block type") }
        self.format = format
        self.type = type
    }

    /// The type a weight of `cols` inputs is stored in, or a typed error naming `name`.
    func storedType(cols: Int, name: String) throws -> GGMLBlockType {
        guard let stored = type.stored(cols: cols) else {
            throw QuantError.rowLengthNotMultipleOfBlock(tensor: name, format: type.name, rowLength: cols, blockSize: type.blockSize)
        }
        return stored
    }

    private func rejectAdjustments(_ a: RoundingAdjustments?, _ name: String) throws {
        if a != nil { throw QuantError.invalidAdjustments(tensor: name, reason: "ggml block types take no rounding adjustments") }
    }

    /// The blocks of `w` in its stored type, weighted by per-input `importance` when given
    /// (llama.cpp's imatrix quantizers).
    public func quantize(weights w: Matrix, name: String, importance: [Float]?) throws -> QuantizedTensor {
        let stored = try storedType(cols: w.cols, name: name)
        let bytes = try GGMLBlockQuantizer.quantize(w, type: stored, importance: importance, name: name)
        return QuantizedTensor(format: .ggml(stored), name: name, rows: w.rows, cols: w.cols, codes: .blocks(bytes),
                               scales: [], scaleRows: 0, scaleCols: 0)
    }

    public func quantize(weights w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> QuantizedTensor {
        try rejectAdjustments(adjustments, name)
        return try quantize(weights: w, name: name, importance: nil)
    }

    /// Decodes `q`, which must hold this format's blocks or those of the fallback it is stored in.
    public func dequantize(_ q: QuantizedTensor) throws -> Matrix {
        let stored = try storedType(cols: q.cols, name: q.name)
        guard q.format == .ggml(stored) else {
            throw QuantError.formatMismatch(tensor: q.name, expected: QuantFormat.ggml(stored).name, actual: q.format.name)
        }
        guard case let .blocks(bytes) = q.codes else {
            throw QuantError.invalidPackedData(tensor: q.name, reason: "expected \(stored.name) blocks")
        }
        return try GGMLBlockQuantizer.dequantize(bytes, type: stored, rows: q.rows, cols: q.cols, name: q.name)
    }

    public func fakeQuantize(_ w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> Matrix {
        try dequantize(quantize(weights: w, name: name, adjustments: adjustments))
    }

    /// Exact bits of the stored type: rows x (cols / block) x bytes per block x 8, of which the
    /// codes are `codeBits` per weight and the rest is block scales and minimums. A shape neither
    /// the type nor its fallback can store is costed at the type's own rate with its last block
    /// counted whole; the quantizer refuses such a shape, so no plan holds it.
    public func bitCost(shape: TensorShape, convention: CostConvention) -> BitCost {
        let t = type.stored(cols: shape.cols) ?? type
        let blocks = shape.rows * ((shape.cols + t.blockSize - 1) / t.blockSize)
        let total = blocks * t.bytesPerBlock * 8, codes = blocks * t.blockSize * t.codeBits
        return BitCost(weights: shape.count, codeBits: codes, scaleBits: total - codes)
    }

    static let traits = FormatTraits(
        family: .ggml,
        summary: "llama.cpp's ggml block types (q8_0, q4_0, q4_1, q5_0, q5_1 in blocks of 32; q2_K to q6_K in super-blocks of 256), as GGUF stores them",
        elementBits: [2, 3, 4, 5, 6, 8], blockSize: 256,
        padding: "no padding: rows that are not whole blocks are stored in llama.cpp's fallback type (q2_K, q3_K -> q4_0; q4_K -> q5_0; q5_K -> q5_1; q6_K -> q8_0)",
        aliases: [],
        parse: { key in GGMLBlockType.allCases.first { $0.name.lowercased() == key }.map { QuantFormat.ggml($0) } },
        canonicalName: { f in f.ggmlType?.name ?? "ggml?" },
        makeQuantizer: { GGMLFormatQuantizer(format: $0) })
}
