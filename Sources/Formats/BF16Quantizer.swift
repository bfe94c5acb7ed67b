import TensorCore

/// bfloat16, kept: every weight rounds to bf16 (nearest, ties to even); no scales.
/// Takes no SignRound adjustments (there is nothing to learn).
public struct BF16Quantizer: WeightQuantizer {
    public let format: QuantFormat
    public init(format: QuantFormat) { self.format = format }

    private func rejectAdjustments(_ a: RoundingAdjustments?, _ name: String) throws {
        if a != nil { throw QuantError.invalidAdjustments(tensor: name, reason: "bf16 takes no rounding adjustments") }
    }

    public func quantize(weights w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> QuantizedTensor {
        try WeightCheck.requireFinite(w, name: name)
        try rejectAdjustments(adjustments, name)
        return QuantizedTensor(format: format, name: name, rows: w.rows, cols: w.cols,
                               codes: .halfWords(w.data.map(HalfPrecision.floatToBF16)),
                               scales: [], scaleRows: 0, scaleCols: 0)
    }

    public func dequantize(_ q: QuantizedTensor) throws -> Matrix {
        try requireOwn(q)
        guard case let .halfWords(bits) = q.codes, bits.count == q.rows * q.cols else {
            throw QuantError.invalidPackedData(tensor: q.name, reason: "expected \(q.rows * q.cols) bf16 codes")
        }
        return Matrix(rows: q.rows, cols: q.cols, data: bits.map(HalfPrecision.bf16ToFloat))
    }

    public func fakeQuantize(_ w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> Matrix {
        try rejectAdjustments(adjustments, name)
        let (chunks, size) = rowChunks(w.rows)
        let n = w.count, span = size * w.cols
        let result = parallelMap(w, tasks: chunks) { chunk, src, dst in
            var bad = 0
            for i in (chunk * span)..<min(n, (chunk + 1) * span) {
                bad &+= nonFinite(src[i])
                dst[i] = HalfPrecision.roundToBF16(src[i])
            }
            return bad
        }
        guard let result else { throw WeightCheck.nonFiniteError(w, name: name) }
        return result
    }

    public func bitCost(shape: TensorShape, convention: CostConvention) -> BitCost {
        BitCost(weights: shape.count, codeBits: shape.count * 16)
    }

    static let traits = FormatTraits(
        family: .bf16, summary: "bfloat16 kept (rounded to nearest even)",
        elementBits: [16], blockSize: 0, padding: "none",
        aliases: [("BF16", .bf16)],
        parse: FormatTraits.fixedParser(.bf16, names: ["bf16"]),
        canonicalName: { _ in "bf16" },
        makeQuantizer: { BF16Quantizer(format: $0) })
}
