import TensorCore

/// OCP Microscaling MXFP4 (OCP MX v1.0): E2M1 elements in blocks of 32 inputs, one E8M0 scale per block.
///
/// Shared exponent e = floor(log2(amax)) - 2 (2 = emax of E2M1), clamped to E8M0's [-127, 127];
/// scale = 2^e (stored as the byte e + 127); elements round to nearest even E2M1 of w / 2^e and
/// saturate at 6 (so a block's amax in (6 * 2^e, 8 * 2^e) is clipped to 6 * 2^e, as the spec does).
/// An all-zero block gets e = -127 and zero codes. SignRound's alpha multiplies amax before the
/// exponent; V is added to w / 2^e before rounding. Rows pad to 32 with zeros (storage counts the padding).
public struct MXFP4Quantizer: WeightQuantizer {
    public let format: QuantFormat
    public init(format: QuantFormat) { self.format = format }
    public static let blockSize = 32

    /// The E8M0 exponent of a block with absolute maximum `amax`.
    public static func sharedExponent(amax: Float) -> Int {
        guard amax > 0 else { return -127 }
        return min(max(Int(amax.exponent) - 2, -127), 127)
    }

    private var blocks: FP4Blocks {
        FP4Blocks(blockSize: Self.blockSize) { amax in
            let s = Float(sign: .plus, exponent: Self.sharedExponent(amax: amax), significand: 1)
            return (s, s)
        }
    }

    public func quantize(weights w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> QuantizedTensor {
        try WeightCheck.requireFinite(w, name: name)
        let nb = ceilDiv(w.cols, Self.blockSize)
        try FP4Blocks.validate(adjustments, weights: w, name: name, blockSize: Self.blockSize)
        let (codes, scales) = blocks.quantize(w, offsets: adjustments?.offsets, maxClip: adjustments?.maxClip)
        return QuantizedTensor(format: format, name: name, rows: w.rows, cols: w.cols, codes: .bytes(codes),
                               scales: scales, scaleRows: w.rows, scaleCols: nb)
    }

    public func dequantize(_ q: QuantizedTensor) throws -> Matrix {
        try requireOwn(q)
        let codes = try q.byteCodes()
        guard q.scaleRows == q.rows, q.scaleCols == ceilDiv(q.cols, Self.blockSize) else {
            throw QuantError.invalidPackedData(tensor: q.name, reason: "scale grid \(q.scaleRows) x \(q.scaleCols), expected \(q.rows) x \(ceilDiv(q.cols, Self.blockSize))")
        }
        return blocks.dequantize(codes: codes, scales: q.scales, rows: q.rows, cols: q.cols) { $0 }
    }

    public func fakeQuantize(_ w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> Matrix {
        try FP4Blocks.validate(adjustments, weights: w, name: name, blockSize: Self.blockSize)
        guard let out = blocks.fakeQuantize(w, offsets: adjustments?.offsets, maxClip: adjustments?.maxClip) else {
            throw WeightCheck.nonFiniteError(w, name: name)
        }
        return out
    }

    public func bitCost(shape: TensorShape, convention: CostConvention) -> BitCost {
        FP4Blocks.bitCost(blockSize: Self.blockSize, shape: shape, convention: convention, tensorScaleBits: 0)
    }

    static let traits = FormatTraits(
        family: .mxfp4, summary: "OCP MXFP4: E2M1 elements, E8M0 power-of-two scale per 32 inputs",
        elementBits: [4], blockSize: blockSize,
        padding: "rows padded to a multiple of 32 (zeros), padded codes stored",
        aliases: [("MXFP4", .mxfp4)],
        parse: FormatTraits.fixedParser(.mxfp4, names: ["mxfp4"]),
        canonicalName: { _ in "mxfp4" },
        makeQuantizer: { MXFP4Quantizer(format: $0) })
}
