import TensorCore

/// FP8 E4M3 weights with one FP32 scale per 128 x 128 block, stored as `weight_scale_inv`
/// (DeepSeek-V3's `weight_block_size: [128, 128]`).
///
/// Per block: scale_inv = amax / 448 (fp32; 1 for an all-zero block, so no tool divides by zero);
/// code = E4M3(w / scale_inv + V) (round to nearest even, saturating at 448); w' = E4M3 * scale_inv.
/// Edge blocks are partial: codes are stored unpadded (rows * cols bytes) and the scale grid is
/// ceil(rows/128) x ceil(cols/128), as DeepSeek-V3 stores them. SignRound's alpha multiplies the block
/// amax; there is no lower clip.
public struct FP8BlockQuantizer: WeightQuantizer {
    public let format: QuantFormat
    public static let block = 128
    public init(format: QuantFormat) { self.format = format }

    /// `weight_scale_inv` of a block with absolute maximum `amax`.
    @inlinable public static func scaleInverse(amax: Float) -> Float { amax > 0 ? amax / E4M3.maxValue : 1 }

    private static func blockAmax(_ p: UnsafeBufferPointer<Float>, cols: Int, rows: Range<Int>, cols c: Range<Int>) -> Float {
        var m: Float = 0
        for r in rows {
            for i in (r * cols + c.lowerBound)..<(r * cols + c.upperBound) {
                let a = p[i].magnitude
                m = a > m ? a : m
            }
        }
        return m
    }

    public func quantize(weights w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> QuantizedTensor {
        try WeightCheck.requireFinite(w, name: name)
        let br = ceilDiv(w.rows, Self.block), bc = ceilDiv(w.cols, Self.block)
        try adjustments?.validate(tensor: name, weights: w.count, groups: br * bc, allowsMinClip: false)
        var codes = [UInt8](repeating: 0, count: w.count)
        var scales = [Float](repeating: 0, count: br * bc)
        for bi in 0..<br {
            for bj in 0..<bc {
                let rr = (bi * Self.block)..<min(w.rows, (bi + 1) * Self.block)
                let cc = (bj * Self.block)..<min(w.cols, (bj + 1) * Self.block)
                var amax = w.data.withUnsafeBufferPointer { Self.blockAmax($0, cols: w.cols, rows: rr, cols: cc) }
                if let alpha = adjustments?.maxClip { amax *= alpha[bi * bc + bj] }
                let s = Self.scaleInverse(amax: amax)
                scales[bi * bc + bj] = s
                for r in rr {
                    for c in cc {
                        var x = w[r, c] / s
                        if let v = adjustments?.offsets { x += v[r * w.cols + c] }
                        codes[r * w.cols + c] = E4M3.encode(E4M3.round(x))
                    }
                }
            }
        }
        return QuantizedTensor(format: format, name: name, rows: w.rows, cols: w.cols, codes: .bytes(codes),
                               scales: scales, scaleRows: br, scaleCols: bc)
    }

    public func dequantize(_ q: QuantizedTensor) throws -> Matrix {
        try requireOwn(q)
        let codes = try q.byteCodes()
        let bc = ceilDiv(q.cols, Self.block)
        guard q.scaleRows == ceilDiv(q.rows, Self.block), q.scaleCols == bc else {
            throw QuantError.invalidPackedData(tensor: q.name, reason: "scale grid \(q.scaleRows) x \(q.scaleCols), expected \(ceilDiv(q.rows, Self.block)) x \(bc)")
        }
        var out = Matrix(rows: q.rows, cols: q.cols)
        for r in 0..<q.rows {
            for c in 0..<q.cols {
                out[r, c] = E4M3.decode(codes[r * q.cols + c]) * q.scales[(r / Self.block) * bc + c / Self.block]
            }
        }
        return out
    }

    public func fakeQuantize(_ w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> Matrix {
        let br = ceilDiv(w.rows, Self.block), bc = ceilDiv(w.cols, Self.block)
        try adjustments?.validate(tensor: name, weights: w.count, groups: br * bc, allowsMinClip: false)
        let rows = w.rows, cols = w.cols, v = adjustments?.offsets, alpha = adjustments?.maxClip
        let result = parallelMap(w, tasks: br * bc) { index, src, dst in
            let bi = index / bc, bj = index % bc
            let rr = (bi * Self.block)..<min(rows, (bi + 1) * Self.block)
            let cc = (bj * Self.block)..<min(cols, (bj + 1) * Self.block)
            var amax: Float = 0, bad = 0
            for r in rr {
                for i in (r * cols + cc.lowerBound)..<(r * cols + cc.upperBound) {
                    let a = src[i].magnitude
                    amax = a > amax ? a : amax
                    bad &+= nonFinite(src[i])
                }
            }
            if let alpha { amax *= alpha[index] }
            let s = Self.scaleInverse(amax: amax)
            for r in rr {
                let lo = r * cols + cc.lowerBound, hi = r * cols + cc.upperBound
                if let v {
                    for i in lo..<hi { dst[i] = E4M3.round(src[i] / s + v[i]) * s }
                } else {
                    for i in lo..<hi { dst[i] = E4M3.round(src[i] / s) * s }
                }
            }
            return bad
        }
        guard let result else { throw WeightCheck.nonFiniteError(w, name: name) }
        return result
    }

    public func bitCost(shape: TensorShape, convention: CostConvention) -> BitCost {
        let blocks = ceilDiv(shape.rows, Self.block) * ceilDiv(shape.cols, Self.block)
        // AutoRound's rule charges 16-bit scales for non-MX/NV data types and no zero point for FP.
        return BitCost(weights: shape.count, codeBits: shape.count * 8,
                       scaleBits: blocks * (convention == .storage ? 32 : 16))
    }

    static let traits = FormatTraits(
        family: .fp8, summary: "FP8 E4M3 weights, FP32 weight_scale_inv per 128 x 128 block",
        elementBits: [8], blockSize: block,
        padding: "no padding: edge blocks are partial, codes stored unpadded",
        aliases: [("FP8_BLOCK", .fp8)],
        parse: FormatTraits.fixedParser(.fp8, names: ["fp8", "fp8_block"]),
        canonicalName: { _ in "fp8" },
        makeQuantizer: { FP8BlockQuantizer(format: $0) })
}
