/// Encoder of q2_K (`quantize_row_q2_K_ref`, `quantize_row_q2_K_impl`): 256-weight super-blocks
/// of 16 affine sub-blocks of 16, w = d * sc * q - dmin * m, q in 0...3, sc and m in 0...15.
///
/// Layout (bytes): [16 bytes: sub-block k's sc (low nibble) and m (high nibble)][64 bytes of
/// 2-bit codes: for half h = 0, 1 and l = 0..<32, byte 32 h + l holds weights 128 h + l, + 32,
/// + 64, + 96 at bits 0, 2, 4, 6][fp16 d][fp16 dmin].
///
/// Reference: each sub-block's scale and min from `GGMLAffineSearch` (grid `q2K`, weights |x|,
/// absolute error); d = max scale / 15 and sc = nearestInt(15 scale / max scale), likewise dmin and m.
/// Importance path: weights importance * sqrt(sigma^2 + x^2), sigma^2 the super-block's mean x^2,
/// squared error and the `importance` grid; d, dmin and the codes from `GGMLScaleCodes.search`
/// weighted by each sub-block's summed weights. Both then re-round every weight against the stored
/// d, dmin: q = clamp(nearestInt((x + dmin m) / (d sc)), 0, 3); a sub-block with d sc = 0 keeps the
/// search's codes.
enum GGMLQ2K {
    static func encode(_ x: UnsafePointer<Float>, count n: Int, importance: UnsafePointer<Float>?,
                       out: UnsafeMutablePointer<UInt8>, scratch s: GGMLBlockScratch) {
        for b in 0..<(n / 256) {
            let xb = x + 256 * b, yb = out + 84 * b
            if let importance {
                fitWeighted(xb, importance: importance + 256 * b, scratch: s, block: yb)
            } else {
                fitReference(xb, scratch: s, block: yb)
            }
            requantize(xb, block: yb, codes: s.codes)
            GGMLQ2K.packTwoBit(s.codes, into: yb + 16)
        }
    }

    /// Reference scales: writes the 16 scale/min bytes, d and dmin.
    private static func fitReference(_ x: UnsafePointer<Float>, scratch s: GGMLBlockScratch, block yb: UnsafeMutablePointer<UInt8>) {
        GGMLLanes.gather(x, count: 16, stride: 16, lanes: 16, into: s.wideX)
        for i in 0..<16 { s.wideWeights[i] = GGMLLanes.magnitude(s.wideX[i]) }
        let fits = GGMLAffineSearch.search(s.wideX, weights: s.wideWeights, count: 16, nmax: 3, grid: .q2K,
                                           absoluteError: true, codes: s.wideCodes,
                                           stepCodes: s.wideStepCodes)
        GGMLLanes.scatter(s.wideCodes, count: 16, lanes: 16, into: s.codes)
        GGMLLanes.store(fits.scale, lanes: 16, into: s.scales)
        GGMLLanes.store(fits.min, lanes: 16, into: s.mins)
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<16 {
            if s.scales[j] > maxScale { maxScale = s.scales[j] }
            if s.mins[j] > maxMin { maxMin = s.mins[j] }
        }
        if maxScale > 0 {
            let iscale = 15 / maxScale
            for j in 0..<16 { yb[j] = UInt8(truncatingIfNeeded: GGMLArithmetic.nearestInt(iscale * s.scales[j])) }
            GGMLArithmetic.storeFP16(maxScale / 15, at: yb + 80)
        } else {
            yb.update(repeating: 0, count: 16)
            GGMLArithmetic.storeFP16(0, at: yb + 80)
        }
        if maxMin > 0 {
            let iscale = 15 / maxMin
            for j in 0..<16 { yb[j] |= UInt8(truncatingIfNeeded: GGMLArithmetic.nearestInt(iscale * s.mins[j]) << 4) }
            GGMLArithmetic.storeFP16(maxMin / 15, at: yb + 82)
        } else {
            GGMLArithmetic.storeFP16(0, at: yb + 82)
        }
    }

    /// Importance-path scales: writes the 16 scale/min bytes, d and dmin.
    private static func fitWeighted(_ x: UnsafePointer<Float>, importance: UnsafePointer<Float>,
                                    scratch s: GGMLBlockScratch, block yb: UnsafeMutablePointer<UInt8>) {
        var sumX2: Float = 0
        for j in 0..<256 { sumX2 += x[j] * x[j] }
        let sigma2 = GGMLWide(repeating: sumX2 / 256)
        let sumW = GGMLLanes.weightedSubBlocks(x, importance: importance, sigma2: sigma2, scratch: s)
        let fits = GGMLAffineSearch.search(s.wideX, weights: s.wideWeights, count: 16, nmax: 3, grid: .importance,
                                           absoluteError: false, codes: s.wideCodes,
                                           stepCodes: s.wideStepCodes)
        GGMLLanes.scatter(s.wideCodes, count: 16, lanes: 16, into: s.codes)
        GGMLLanes.store(fits.scale, lanes: 16, into: s.scales)
        GGMLLanes.store(fits.min, lanes: 16, into: s.mins)
        GGMLLanes.store(sumW, lanes: 16, into: s.weightSums)
        let d = GGMLScaleCodes.search(s.scales, count: 16, nmax: 15, weights: s.weightSums, codes: s.scaleCodes)
        let dmin = GGMLScaleCodes.search(s.mins, count: 16, nmax: 15, weights: s.weightSums, codes: s.minCodes)
        GGMLArithmetic.storeFP16(d, at: yb + 80)
        GGMLArithmetic.storeFP16(dmin, at: yb + 82)
        for j in 0..<16 { yb[j] = s.scaleCodes[j] | s.minCodes[j] << 4 }
    }

    /// Final codes from the stored scale bytes, d and dmin.
    private static func requantize(_ x: UnsafePointer<Float>, block yb: UnsafeMutablePointer<UInt8>,
                                   codes: UnsafeMutablePointer<UInt8>) {
        let d = GGMLArithmetic.loadFP16(yb + 80), dmin = GGMLArithmetic.loadFP16(yb + 82)
        for j in 0..<16 {
            let step = d * Float(yb[j] & 0xF)
            if step == 0 { continue }
            GGMLLanes.requantize(x + 16 * j, count: 16, offset: dmin * Float(yb[j] >> 4), step: step, lo: 0, hi: 3,
                                 bias: 0, into: codes + 16 * j)
        }
    }

    /// Packs 256 codes 0...3 into 64 bytes, shared by q2_K and q3_K: byte 32 h + l holds weights
    /// 128 h + l, + 32, + 64, + 96 at bits 0, 2, 4, 6.
    static func packTwoBit(_ codes: UnsafePointer<UInt8>, into q: UnsafeMutablePointer<UInt8>) {
        for h in 0..<2 {
            let c = codes + 128 * h
            for l in 0..<32 {
                q[32 * h + l] = c[l] | c[l + 32] << 2 | c[l + 64] << 4 | c[l + 96] << 6
            }
        }
    }
}
