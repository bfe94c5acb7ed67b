/// Encoders of q4_K and q5_K (`quantize_row_q{4,5}_K_ref` and `quantize_row_q{4,5}_K_impl`):
/// 256-weight super-blocks of 8 affine sub-blocks of 32, w = d * sc * q - dmin * m.
///
/// Layout (bytes): [fp16 d][fp16 dmin][12 bytes: 6-bit sc and m per sub-block, `packK4`]
/// q5_K then [32 bytes qh: bit 2 p of byte l = fifth bit of weight 64 p + l, bit 2 p + 1 of
/// weight 64 p + 32 + l], then [128 bytes: byte 32 p + l holds weight 64 p + l (low nibble) and
/// 64 p + 32 + l (high nibble)], p = 0..<4.
///
/// 1. Each sub-block gets a scale and min from `GGMLAffineSearch`, with weights
///    sqrt(mean x^2 of the sub-block) + |x| (reference) or importance * sqrt(sigma^2 + x^2), sigma^2 =
///    2 mean x^2 of the super-block (importance path).
/// 2. The 8 scales and 8 mins become 6-bit codes of the steps d and dmin: the reference takes
///    d = max scale / 63 and code = nearestInt(63 * scale / max scale); the importance path searches
///    the step with `GGMLScaleCodes.search` weighted by each sub-block's summed weights.
/// 3. With d and dmin as stored (fp16), every weight is re-rounded: q = nearestInt((x + dmin m) / (d sc))
///    clamped to 0...15 (31); a sub-block whose d sc is 0 keeps the search's codes.
enum GGMLQ4KQ5K {
    /// Encodes a row of `n` weights (n a multiple of 256) as q4_K (`bits` 4) or q5_K (`bits` 5).
    static func encode(_ x: UnsafePointer<Float>, count n: Int, bits: Int, importance: UnsafePointer<Float>?,
                       out: UnsafeMutablePointer<UInt8>, scratch s: GGMLBlockScratch) {
        let stride = bits == 4 ? 144 : 176
        for b in 0..<(n / 256) {
            let xb = x + 256 * b, yb = out + stride * b
            if let importance {
                let (d, dmin) = fitWeighted(xb, bits: bits, importance: importance + 256 * b, scratch: s)
                GGMLScaleCodes.packK4(scales: s.scaleCodes, mins: s.minCodes, into: yb + 4)
                GGMLArithmetic.storeFP16(d, at: yb)
                GGMLArithmetic.storeFP16(dmin, at: yb + 2)
            } else {
                fitReference(xb, bits: bits, scratch: s, header: yb)
            }
            requantize(xb, bits: bits, header: yb, codes: s.codes)
            if bits == 4 {
                packQ4(s.codes, into: yb + 16)
            } else {
                packQ5(s.codes, into: yb + 16)
            }
        }
    }

    /// Reference steps 1-2: writes d, dmin and the packed scale codes to `header`.
    private static func fitReference(_ x: UnsafePointer<Float>, bits: Int, scratch s: GGMLBlockScratch,
                                     header: UnsafeMutablePointer<UInt8>) {
        GGMLLanes.gather(x, count: 32, stride: 32, lanes: 8, into: s.x)
        var sumX2 = SIMD8<Float>()
        for i in 0..<32 { sumX2 += s.x[i] * s.x[i] }
        let average = (sumX2 / 32).squareRoot()
        for i in 0..<32 { s.weights[i] = average + GGMLLanes.magnitude(s.x[i]) }
        let fits = GGMLAffineSearch.search(s.x, weights: s.weights, count: 32, nmax: (1 << bits) - 1,
                                           grid: bits == 4 ? .q4K : .q5K, absoluteError: false, codes: s.laneCodes)
        GGMLLanes.scatter(s.laneCodes, count: 32, lanes: 8, into: s.codes)
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<8 {
            (s.scales[j], s.mins[j]) = (fits.scale[j], fits.min[j])
            if fits.scale[j] > maxScale { maxScale = fits.scale[j] }
            if fits.min[j] > maxMin { maxMin = fits.min[j] }
        }
        let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
        for j in 0..<8 {
            s.scaleCodes[j] = Swift.min(63, UInt8(truncatingIfNeeded: GGMLArithmetic.nearestInt(inverseScale * s.scales[j])))
            s.minCodes[j] = Swift.min(63, UInt8(truncatingIfNeeded: GGMLArithmetic.nearestInt(inverseMin * s.mins[j])))
        }
        header.update(repeating: 0, count: 16)
        GGMLScaleCodes.packK4(scales: s.scaleCodes, mins: s.minCodes, into: header + 4)
        GGMLArithmetic.storeFP16(maxScale / 63, at: header)
        GGMLArithmetic.storeFP16(maxMin / 63, at: header + 2)
    }

    /// Importance steps 1-2: fills the scale and min codes and returns their steps d and dmin.
    private static func fitWeighted(_ x: UnsafePointer<Float>, bits: Int, importance: UnsafePointer<Float>,
                                    scratch s: GGMLBlockScratch) -> (d: Float, dmin: Float) {
        var sumX2: Float = 0
        for l in 0..<256 { sumX2 += x[l] * x[l] }
        let sigma2 = SIMD8<Float>(repeating: 2 * sumX2 / 256)
        GGMLLanes.gather(x, count: 32, stride: 32, lanes: 8, into: s.x)
        GGMLLanes.gather(importance, count: 32, stride: 32, lanes: 8, into: s.weights)
        var sumW = SIMD8<Float>()
        for i in 0..<32 {
            s.weights[i] = s.weights[i] * (sigma2 + s.x[i] * s.x[i]).squareRoot()
            sumW += s.weights[i]
        }
        let fits = GGMLAffineSearch.search(s.x, weights: s.weights, count: 32, nmax: (1 << bits) - 1,
                                           grid: .importance, absoluteError: false, codes: s.laneCodes)
        GGMLLanes.scatter(s.laneCodes, count: 32, lanes: 8, into: s.codes)
        GGMLLanes.store(fits.scale, lanes: 8, into: s.scales)
        GGMLLanes.store(fits.min, lanes: 8, into: s.mins)
        GGMLLanes.store(sumW, lanes: 8, into: s.weightSums)
        let d = GGMLScaleCodes.search(s.scales, count: 8, nmax: 63, weights: s.weightSums, codes: s.scaleCodes)
        let dmin = GGMLScaleCodes.search(s.mins, count: 8, nmax: 63, weights: s.weightSums, codes: s.minCodes)
        if bits == 5 {  // q5_K caps the codes at 63 (a no-op unless a negative value wrapped); q4_K does not
            for j in 0..<8 {
                s.scaleCodes[j] = Swift.min(63, s.scaleCodes[j])
                s.minCodes[j] = Swift.min(63, s.minCodes[j])
            }
        }
        return (d, dmin)
    }

    /// Step 3 from the stored header (d, dmin, packed codes): the final codes of all 256 weights.
    private static func requantize(_ x: UnsafePointer<Float>, bits: Int, header: UnsafeMutablePointer<UInt8>,
                                   codes: UnsafeMutablePointer<UInt8>) {
        let d = GGMLArithmetic.loadFP16(header), dmin = GGMLArithmetic.loadFP16(header + 2)
        for j in 0..<8 {
            let (sc, m) = GGMLScaleCodes.unpackK4(j, header + 4)
            let step = d * Float(sc)
            if step == 0 { continue }
            GGMLLanes.requantize(x + 32 * j, count: 32, offset: dmin * Float(m), step: step, lo: 0, hi: (1 << bits) - 1,
                                 bias: 0, into: codes + 32 * j)
        }
    }

    /// q4_K's 128 code bytes.
    private static func packQ4(_ codes: UnsafePointer<UInt8>, into q: UnsafeMutablePointer<UInt8>) {
        for p in 0..<4 {
            for l in 0..<32 { q[32 * p + l] = codes[64 * p + l] | codes[64 * p + 32 + l] << 4 }
        }
    }

    /// q5_K's 32 high-bit bytes then 128 low-nibble bytes (codes 0...31: the fifth bit is bit 4).
    private static func packQ5(_ codes: UnsafePointer<UInt8>, into q: UnsafeMutablePointer<UInt8>) {
        let qh = q, ql = q + 32
        qh.update(repeating: 0, count: 32)
        for p in 0..<4 {
            for l in 0..<32 {
                let (lo, hi) = (codes[64 * p + l], codes[64 * p + 32 + l])
                qh[l] |= (lo >> 4) << (2 * p) | (hi >> 4) << (2 * p + 1)
                ql[32 * p + l] = (lo & 0xF) | (hi & 0xF) << 4
            }
        }
    }
}
