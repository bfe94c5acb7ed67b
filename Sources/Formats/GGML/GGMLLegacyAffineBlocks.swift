/// Encoders of ggml's 32-weight blocks with a minimum: q4_1 and q5_1 (`quantize_row_q{4,5}_1_ref`
/// and, with an importance vector, `quantize_row_q{4,5}_1_impl`); w = d * q + m.
///
/// Layout (bytes): q4_1 [fp16 d][fp16 m][16 bytes of nibbles as q4_0]; q5_1 [fp16 d][fp16 m][4 bytes
/// qh][16 bytes of low nibbles], as q5_0 after the two scales.
///
/// Reference path: m = the block's smallest value, d = (max - min) / 15 (/ 31); each code is
/// trunc((x - min) * (1 / d) + 0.5), i.e. rounding half up, which q4_1 caps at 15 and q5_1 does not
/// cap (C's conversion to uint8_t; only degenerate scales reach past 31). 1 / d is 0 when d is 0.
/// Importance path: `make_qkx3_quants` per block (`GGMLAffineSearch`, grid -0.9 + 0.05 is,
/// is = 0...36, squared error), with weights w_j = importance_j * sqrt(sigma^2 + x_j^2), sigma^2 the
/// mean square of the whole row; the search's codes are stored as found (no re-rounding against
/// the fp16 d and m), and m is the fit's offset, which is capped at 0.
enum GGMLLegacyAffineBlocks {
    /// Encodes a row of `n` weights (n a multiple of 32) as q4_1 (`bits` 4) or q5_1 (`bits` 5).
    static func encode(_ x: UnsafePointer<Float>, count n: Int, bits: Int, importance: UnsafePointer<Float>?,
                       out: UnsafeMutablePointer<UInt8>, scratch s: GGMLBlockScratch) {
        if let importance { return encodeWeighted(x, count: n, bits: bits, importance: importance, out: out, scratch: s) }
        let stride = bits == 4 ? 20 : 24, nmax = Float((1 << bits) - 1)
        for b in 0..<(n / 32) {
            let xb = x + 32 * b, yb = out + stride * b
            var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
            for j in 0..<32 {
                if xb[j] < lo { lo = xb[j] }
                if xb[j] > hi { hi = xb[j] }
            }
            let d = (hi - lo) / nmax
            let id: Float = d != 0 ? 1 / d : 0
            GGMLArithmetic.storeFP16(d, at: yb)
            GGMLArithmetic.storeFP16(lo, at: yb + 2)
            if bits == 4 {
                for j in 0..<32 { s.codes[j] = GGMLLegacyBlocks.roundedUp((xb[j] - lo) * id, bias: 0.5, top: 15) }
                GGMLLegacyBlocks.packQ4_0(s.codes, yb + 4)
            } else {
                for j in 0..<32 {
                    s.codes[j] = UInt8(truncatingIfNeeded: GGMLArithmetic.truncatedInt32((xb[j] - lo) * id + 0.5))
                }
                GGMLLegacyBlocks.packQ5_0(s.codes, yb + 4)
            }
        }
    }

    /// The importance path: per block, `make_qkx3_quants` with weights importance_j *
    /// sqrt(sigma^2 + x_j^2), sigma^2 = sum x^2 / n over the whole row; sixteen blocks at a time,
    /// one per lane (`GGMLWide`). d is the fit's scale and m its offset (<= 0 by the search's cap).
    private static func encodeWeighted(_ x: UnsafePointer<Float>, count n: Int, bits: Int, importance: UnsafePointer<Float>,
                                       out: UnsafeMutablePointer<UInt8>, scratch s: GGMLBlockScratch) {
        var sumX2: Float = 0
        for j in 0..<n { sumX2 += x[j] * x[j] }
        let sigma2 = GGMLWide(repeating: sumX2 / Float(n))
        let stride = bits == 4 ? 20 : 24
        let blocks = n / 32
        for first in Swift.stride(from: 0, to: blocks, by: 16) {
            let lanes = Swift.min(16, blocks - first)
            GGMLLanes.gather(x + 32 * first, count: 32, stride: 32, lanes: lanes, into: s.wideX)
            GGMLLanes.gather(importance + 32 * first, count: 32, stride: 32, lanes: lanes, into: s.wideWeights)
            for i in 0..<32 { s.wideWeights[i] = s.wideWeights[i] * (sigma2 + s.wideX[i] * s.wideX[i]).squareRoot() }
            let fits = GGMLAffineSearch.search(s.wideX, weights: s.wideWeights, count: 32, nmax: (1 << bits) - 1,
                                               grid: .importance, absoluteError: false, codes: s.wideCodes,
                                           stepCodes: s.wideStepCodes)
            GGMLLanes.scatter(s.wideCodes, count: 32, lanes: lanes, into: s.codes)
            for k in 0..<lanes {
                let yb = out + stride * (first + k)
                GGMLArithmetic.storeFP16(fits.scale[k], at: yb)
                GGMLArithmetic.storeFP16(fits.offset[k], at: yb + 2)
                if bits == 4 {
                    GGMLLegacyBlocks.packQ4_0(s.codes + 32 * k, yb + 4)
                } else {
                    GGMLLegacyBlocks.packQ5_0(s.codes + 32 * k, yb + 4)
                }
            }
        }
    }
}
