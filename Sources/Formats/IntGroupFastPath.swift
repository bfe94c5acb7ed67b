import TensorCore

extension IntGroupQuantizer {
    /// Quantize + dequantize in one pass over the rows, on all cores.
    ///
    /// Same operations in the same order as `quantize` followed by `dequantize`, so the result is
    /// bit-identical to the reference. - Complexity: O(rows * cols), one read and one write per weight.
    public func fakeQuantize(_ w: Matrix, name: String, adjustments: RoundingAdjustments?) throws -> Matrix {
        let groups = ceilDiv(w.cols, groupSize)
        try adjustments?.validate(tensor: name, weights: w.count, groups: w.rows * groups, allowsMinClip: true)
        let (chunks, size) = rowChunks(w.rows)
        let cols = w.cols, rows = w.rows, g = groupSize, bits = bits, sym = format.symmetric, maxCode = maxCode
        let v = adjustments?.offsets, alpha = adjustments?.maxClip, beta = adjustments?.minClip
        let result = parallelMap(w, tasks: chunks) { chunk, src, dst in
            var bad = 0
            for r in (chunk * size)..<min(rows, (chunk + 1) * size) {
                for gIndex in 0..<groups {
                    let gi = r * groups + gIndex
                    let start = r * cols + gIndex * g, end = r * cols + min(cols, (gIndex + 1) * g)
                    var lo: Float = 0, hi: Float = 0
                    for i in start..<end {
                        let x = src[i]
                        lo = x < lo ? x : lo
                        hi = x > hi ? x : hi
                        bad &+= nonFinite(x)
                    }
                    if let alpha { hi *= alpha[gi] }
                    if let beta { lo *= beta[gi] }
                    let (scale, zero) = Self.scaleAndZero(lo: lo, hi: hi, bits: bits, symmetric: sym)
                    if let v {
                        for i in start..<end {
                            let u = min(max((src[i] / scale + v[i]).rounded(.toNearestOrEven) + zero, 0), maxCode)
                            dst[i] = scale * (u - zero)
                        }
                    } else {
                        for i in start..<end {
                            let u = min(max((src[i] / scale).rounded(.toNearestOrEven) + zero, 0), maxCode)
                            dst[i] = scale * (u - zero)
                        }
                    }
                }
            }
            return bad
        }
        guard let result else { throw WeightCheck.nonFiniteError(w, name: name) }
        return result
    }
}
