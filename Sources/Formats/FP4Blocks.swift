import TensorCore

/// The element step shared by MXFP4 and NVFP4: blocks of `blockSize` consecutive inputs of a row, one
/// scale per block, elements x = w / used + V rounded to E2M1 (`E2M1.round`), w' = E2M1 * used.
///
/// `blockScale(amax)` maps a block's (clipped) absolute maximum to the scale as stored and the scale
/// as used (they differ for NVFP4, whose stored E4M3 block scale is divided by the per-tensor scale).
/// A used scale of 0 (an NVFP4 block below E4M3's range) gives code 0 for every element.
/// A row whose length is not a multiple of the block ends in a short block, quantized as if padded
/// with zeros (zeros never raise amax).
struct FP4Blocks {
    let blockSize: Int
    let blockScale: @Sendable (Float) -> (stored: Float, used: Float)

    /// Reference: codes (one E2M1 code per weight) and stored block scales, row-major.
    func quantize(_ w: Matrix, offsets: [Float]?, maxClip: [Float]?) -> (codes: [UInt8], scales: [Float]) {
        let blocks = ceilDiv(w.cols, blockSize)
        assert(offsets.map { $0.count == w.count } ?? true, "FP4 offsets: one per weight")
        assert(maxClip.map { $0.count == w.rows * blocks } ?? true, "FP4 clip factors: one per block")
        var codes = [UInt8](repeating: 0, count: w.count)
        var scales = [Float](repeating: 0, count: w.rows * blocks)
        for r in 0..<w.rows {
            for b in 0..<blocks {
                let bi = r * blocks + b
                let c0 = b * blockSize, c1 = min(w.cols, c0 + blockSize)
                var amax: Float = 0
                for c in c0..<c1 {
                    let a = w[r, c].magnitude
                    amax = a > amax ? a : amax
                }
                if let alpha = maxClip { amax *= alpha[bi] }
                let (stored, used) = blockScale(amax)
                scales[bi] = stored
                guard used != 0 else { continue }
                for c in c0..<c1 {
                    var x = w[r, c] / used
                    if let v = offsets { x += v[r * w.cols + c] }
                    codes[r * w.cols + c] = E2M1.encode(x)
                }
            }
        }
        return (codes, scales)
    }

    /// Reference dequantization given the used scale of each stored one.
    func dequantize(codes: [UInt8], scales: [Float], rows: Int, cols: Int, used: (Float) -> Float) -> Matrix {
        let blocks = ceilDiv(cols, blockSize)
        var out = Matrix(rows: rows, cols: cols)
        for r in 0..<rows {
            for c in 0..<cols {
                out[r, c] = E2M1.decode(codes[r * cols + c]) * used(scales[r * blocks + c / blockSize])
            }
        }
        return out
    }

    /// Fast quantize + dequantize on all cores; bit-identical to the reference pair.
    /// - Returns: nil if `w` holds NaN or infinity. - Complexity: O(rows * cols).
    func fakeQuantize(_ w: Matrix, offsets: [Float]?, maxClip: [Float]?) -> Matrix? {
        let blocks = ceilDiv(w.cols, blockSize)
        let (chunks, size) = rowChunks(w.rows)
        let rows = w.rows, cols = w.cols, bs = blockSize
        return parallelMap(w, tasks: chunks) { chunk, src, dst in
            var bad = 0
            for r in (chunk * size)..<min(rows, (chunk + 1) * size) {
                for b in 0..<blocks {
                    let bi = r * blocks + b
                    let start = r * cols + b * bs, end = r * cols + min(cols, (b + 1) * bs)
                    var amax: Float = 0
                    for i in start..<end {
                        let a = src[i].magnitude
                        amax = a > amax ? a : amax
                        bad &+= nonFinite(src[i])
                    }
                    if let maxClip { amax *= maxClip[bi] }
                    let used = blockScale(amax).used
                    if used == 0 {
                        for i in start..<end { dst[i] = E2M1.decode(0) * used }
                    } else if let offsets {
                        for i in start..<end { dst[i] = E2M1.round(src[i] / used + offsets[i]) * used }
                    } else {
                        for i in start..<end { dst[i] = E2M1.round(src[i] / used) * used }
                    }
                }
            }
            return bad
        }
    }
}

extension FP4Blocks {
    /// The bit cost of an E2M1 tensor with one 8-bit scale per block of `blockSize` inputs of a row
    /// (E8M0 for MXFP4, E4M3 for NVFP4): `.storage` counts rows * ceil(cols / blockSize) blocks of
    /// `blockSize` 4-bit codes each (a short block's padding codes are stored) plus `tensorScaleBits`;
    /// `.autoround` counts 4 bits per weight and 8 per block, no per-tensor scale.
    static func bitCost(blockSize: Int, shape: TensorShape, convention: CostConvention, tensorScaleBits: Int) -> BitCost {
        let nb = shape.rows * ceilDiv(shape.cols, blockSize)
        switch convention {
        case .storage:
            return BitCost(weights: shape.count, codeBits: nb * blockSize * 4, scaleBits: nb * 8, globalBits: tensorScaleBits)
        case .autoround:
            return BitCost(weights: shape.count, codeBits: shape.count * 4, scaleBits: nb * 8)
        }
    }

    /// Checks SignRound adjustments for `w`: one offset V per weight, one max clip alpha per block of
    /// `blockSize` inputs of a row, no min clip.
    static func validate(_ adjustments: RoundingAdjustments?, weights w: Matrix, name: String, blockSize: Int) throws {
        try adjustments?.validate(tensor: name, weights: w.count, groups: w.rows * ceilDiv(w.cols, blockSize),
                                  allowsMinClip: false)
    }
}
