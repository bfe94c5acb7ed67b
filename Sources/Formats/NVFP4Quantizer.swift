import TensorCore

/// NVIDIA NVFP4: E2M1 elements in blocks of 16 inputs, one FP8 E4M3 scale per block and one FP32
/// scale per tensor (as NVIDIA's ModelOpt and compressed-tensors define it).
///
/// global = 448 * 6 / amax(tensor) (fp32; 1 for an all-zero tensor); block scale
/// s = E4M3(global * (amax(block) / 6)) (round to nearest even, saturating at 448); the scale used is
/// s / global; elements round to nearest even E2M1 of w / (s / global), saturating at 6; w' = E2M1 * (s / global).
/// A block whose scale rounds to E4M3 zero dequantizes to zeros. SignRound's alpha multiplies the block
/// amax (the global scale uses the unclipped tensor amax); V is added before rounding.
/// Rows pad to 16 with zeros (storage counts the padding).
public struct NVFP4Quantizer: WeightQuantizer {
    public let format: QuantFormat
    public init(format: QuantFormat) { self.format = format }
    public static let blockSize = 16

    /// The per-tensor scale for a tensor with absolute maximum `amax`.
    public static func globalScale(amax: Float) -> Float {
        guard amax > 0 else { return 1 }
        let g = (E4M3.maxValue * E2M1.maxValue) / amax
        return g.isFinite ? g : 1
    }

    private func blocks(global: Float) -> FP4Blocks {
        FP4Blocks(blockSize: Self.blockSize) { amax in
            let s = E4M3.round(global * (amax / E2M1.maxValue))
            return (s, s / global)
        }
    }

    private static func amax(_ w: Matrix) -> Float {
        w.data.withUnsafeBufferPointer { p in
            var m: Float = 0
            for x in p { let a = x.magnitude; m = a > m ? a : m }
            return m
        }
    }

    public func quantize(weights w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> QuantizedTensor {
        try WeightCheck.requireFinite(w, name: name)
        let nb = ceilDiv(w.cols, Self.blockSize)
        try FP4Blocks.validate(adjustments, weights: w, name: name, blockSize: Self.blockSize)
        let global = Self.globalScale(amax: Self.amax(w))
        let (codes, scales) = blocks(global: global).quantize(w, offsets: adjustments?.offsets, maxClip: adjustments?.maxClip)
        return QuantizedTensor(format: format, name: name, rows: w.rows, cols: w.cols, codes: .bytes(codes),
                               scales: scales, scaleRows: w.rows, scaleCols: nb, globalScale: global)
    }

    public func dequantize(_ q: QuantizedTensor) throws -> Matrix {
        try requireOwn(q)
        let codes = try q.byteCodes()
        guard let global = q.globalScale, q.scaleRows == q.rows, q.scaleCols == ceilDiv(q.cols, Self.blockSize) else {
            throw QuantError.invalidPackedData(tensor: q.name, reason: "expected a global scale and a \(q.rows) x \(ceilDiv(q.cols, Self.blockSize)) scale grid")
        }
        return blocks(global: global).dequantize(codes: codes, scales: q.scales, rows: q.rows, cols: q.cols) { $0 / global }
    }

    public func fakeQuantize(_ w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> Matrix {
        try FP4Blocks.validate(adjustments, weights: w, name: name, blockSize: Self.blockSize)
        guard let amax = finiteAbsMax(w),
              let out = blocks(global: Self.globalScale(amax: amax))
                  .fakeQuantize(w, offsets: adjustments?.offsets, maxClip: adjustments?.maxClip) else {
            throw WeightCheck.nonFiniteError(w, name: name)
        }
        return out
    }

    public func bitCost(shape: TensorShape, convention: CostConvention) -> BitCost {
        FP4Blocks.bitCost(blockSize: Self.blockSize, shape: shape, convention: convention, tensorScaleBits: 32)
    }

    static let traits = FormatTraits(
        family: .nvfp4, summary: "NVIDIA NVFP4: E2M1 elements, E4M3 scale per 16 inputs, FP32 tensor scale",
        elementBits: [4], blockSize: blockSize,
        padding: "rows padded to a multiple of 16 (zeros), padded codes stored",
        aliases: [("NVFP4", .nvfp4)],
        parse: FormatTraits.fixedParser(.nvfp4, names: ["nvfp4"]),
        canonicalName: { _ in "nvfp4" },
        makeQuantizer: { NVFP4Quantizer(format: $0) })
}
