/// Encoder of q3_K (`quantize_row_q3_K_ref`, `quantize_row_q3_K_impl`): 256-weight super-blocks
/// of 16 symmetric sub-blocks of 16, w = d * sc * (q - 4), q in 0...7, sc in -32...31.
///
/// Layout (bytes): [32 bytes hmask: bit k of byte l = third bit of weight 32 k + l][64 bytes of
/// low 2 bits, packed as q2_K's codes][12 bytes of 6-bit sc + 32, `GGMLScaleCodes.packQ3`][fp16 d].
///
/// Reference: each sub-block's scale from `GGMLSymmetricSearch.coordinateDescent` (nmax 4);
/// d = -(the scale of largest magnitude) / 32 and sc = clamp(nearestInt(scale / d), -32, 31).
/// Importance path: sub-block scales from `GGMLSymmetricSearch.search` (nmax 4) with weights
/// importance * sqrt(sigma^2 + x^2), sigma^2 = 2 mean x^2 of the super-block; then the 16 scales
/// themselves through `search` (nmax 32) weighted by each sub-block's summed weights, giving d and
/// the codes. Both then re-round every weight against the stored d * sc:
/// q = clamp(nearestInt(x / (d sc)), -4, 3) + 4; a sub-block with d sc = 0 keeps the search's codes.
enum GGMLQ3K {
    static func encode(_ x: UnsafePointer<Float>, count n: Int, importance: UnsafePointer<Float>?,
                       out: UnsafeMutablePointer<UInt8>, scratch s: GGMLBlockScratch) {
        for b in 0..<(n / 256) {
            let xb = x + 256 * b, yb = out + 110 * b
            let d: Float
            if let importance {
                d = fitWeighted(xb, importance: importance + 256 * b, scratch: s)
            } else {
                d = fitReference(xb, scratch: s)
            }
            GGMLScaleCodes.packQ3(s.scaleCodes, into: yb + 96)
            GGMLArithmetic.storeFP16(d, at: yb + 108)
            requantize(xb, block: yb, codes: s.codes)
            packHighBits(s.codes, into: yb)
            GGMLQ2K.packTwoBit(s.codes, into: yb + 32)
        }
    }

    /// Reference scales: fills the scale codes (sc + 32) and returns d (before fp16).
    private static func fitReference(_ x: UnsafePointer<Float>, scratch s: GGMLBlockScratch) -> Float {
        for half in 0..<2 {
            let first = 8 * half
            GGMLLanes.gather(x + 16 * first, count: 16, stride: 16, lanes: 8, into: s.x)
            let scales = GGMLSymmetricSearch.coordinateDescent(s.x, count: 16, nmax: 4, codes: s.laneCodes)
            GGMLLanes.scatter(s.laneCodes, count: 16, lanes: 8, into: s.codes + 16 * first)
            GGMLLanes.store(scales, lanes: 8, into: s.scales + first)
        }
        var maxScale: Float = 0, amax: Float = 0
        for j in 0..<16 where s.scales[j].magnitude > amax {
            amax = s.scales[j].magnitude
            maxScale = s.scales[j]
        }
        guard maxScale != 0 else {
            s.scaleCodes.update(repeating: 0, count: 16)
            return 0
        }
        let iscale = -32 / maxScale
        for j in 0..<16 {
            let l = Int(Int8(truncatingIfNeeded: GGMLArithmetic.nearestInt(iscale * s.scales[j])))
            s.scaleCodes[j] = UInt8(Swift.max(-32, Swift.min(31, l)) + 32)
        }
        return 1 / iscale
    }

    /// Importance-path scales: fills the scale codes and returns d (before fp16).
    private static func fitWeighted(_ x: UnsafePointer<Float>, importance: UnsafePointer<Float>,
                                    scratch s: GGMLBlockScratch) -> Float {
        var sumX2: Float = 0
        for j in 0..<256 { sumX2 += x[j] * x[j] }
        let sigma2 = SIMD8<Float>(repeating: 2 * sumX2 / 256)
        for half in 0..<2 {
            let first = 8 * half
            let sumW = GGMLLanes.weightedSubBlocks(x, importance: importance, first: first, sigma2: sigma2, scratch: s)
            let scales = GGMLSymmetricSearch.search(s.x, count: 16, nmax: 4, weights: s.weights, codes: s.laneCodes)
            GGMLLanes.scatter(s.laneCodes, count: 16, lanes: 8, into: s.codes + 16 * first)
            GGMLLanes.store(scales, lanes: 8, into: s.scales + first)
            GGMLLanes.store(sumW, lanes: 8, into: s.weightSums + first)
        }
        // The 16 sub-block scales are one more symmetric problem (one lane), weighted by the sums.
        GGMLLanes.gather(s.scales, count: 16, stride: 0, lanes: 1, into: s.x)
        GGMLLanes.gather(s.weightSums, count: 16, stride: 0, lanes: 1, into: s.weights)
        let d = GGMLSymmetricSearch.search(s.x, count: 16, nmax: 32, weights: s.weights, codes: s.laneCodes)
        GGMLLanes.scatter(s.laneCodes, count: 16, lanes: 1, into: s.scaleCodes)
        return d[0]
    }

    /// Final codes 0...7 from the stored scales and d.
    private static func requantize(_ x: UnsafePointer<Float>, block yb: UnsafeMutablePointer<UInt8>,
                                   codes: UnsafeMutablePointer<UInt8>) {
        let d = GGMLArithmetic.loadFP16(yb + 108)
        for j in 0..<16 {
            let step = d * Float(GGMLScaleCodes.unpackQ3(j, yb + 96))
            if step == 0 { continue }
            GGMLLanes.requantize(x + 16 * j, count: 16, offset: 0, step: step, lo: -4, hi: 3, bias: 4, into: codes + 16 * j)
        }
    }

    /// Moves each code's third bit (codes 4...7) into the 32-byte hmask, leaving codes 0...3.
    private static func packHighBits(_ codes: UnsafeMutablePointer<UInt8>, into hmask: UnsafeMutablePointer<UInt8>) {
        hmask.update(repeating: 0, count: 32)
        for j in 0..<256 {
            hmask[j % 32] |= (codes[j] >> 2) << (j / 32)
            codes[j] &= 3
        }
    }
}
