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
    /// Step 1 runs on two super-blocks at once (16 sub-blocks, `GGMLWide`); steps 2-3 on each.
    static func encode(_ x: UnsafePointer<Float>, count n: Int, bits: Int, importance: UnsafePointer<Float>?,
                       out: UnsafeMutablePointer<UInt8>, scratch s: GGMLBlockScratch) {
        let stride = bits == 4 ? 144 : 176
        let blocks = n / 256
        for first in Swift.stride(from: 0, to: blocks, by: 2) {
            let pair = Swift.min(2, blocks - first)
            let xb = x + 256 * first
            fitSubBlocks(xb, superBlocks: pair, bits: bits, importance: importance.map { $0 + 256 * first }, scratch: s)
            for k in 0..<pair {
                let yb = out + stride * (first + k)
                if importance != nil {
                    encodeScalesWeighted(8 * k, bits: bits, scratch: s, header: yb)
                } else {
                    encodeScalesReference(8 * k, scratch: s, header: yb)
                }
                requantize(xb + 256 * k, bits: bits, header: yb, codes: s.codes + 256 * k)
                if bits == 4 {
                    packQ4(s.codes + 256 * k, into: yb + 16)
                } else {
                    packQ5(s.codes + 256 * k, into: yb + 16)
                }
            }
        }
    }

    /// Step 1 for `superBlocks` (1 or 2) consecutive super-blocks: each sub-block's scale, min and
    /// codes (`s.scales`, `s.mins`, `s.codes`, sub-block j of super-block k at 8 k + j) and, on the
    /// importance path, its summed weights (`s.weightSums`).
    private static func fitSubBlocks(_ x: UnsafePointer<Float>, superBlocks: Int, bits: Int, importance: UnsafePointer<Float>?,
                                     scratch s: GGMLBlockScratch) {
        let lanes = 8 * superBlocks
        GGMLLanes.gather(x, count: 32, stride: 32, lanes: lanes, into: s.wideX)
        if let importance {
            // sigma^2 = 2 mean x^2 of each lane's super-block, summed in the reference's order.
            var sigma2 = GGMLWide()
            for k in 0..<superBlocks {
                var sumX2: Float = 0
                for l in 0..<256 { sumX2 += x[256 * k + l] * x[256 * k + l] }
                for j in 0..<8 { sigma2[8 * k + j] = 2 * sumX2 / 256 }
            }
            GGMLLanes.gather(importance, count: 32, stride: 32, lanes: lanes, into: s.wideWeights)
            var sumW = GGMLWide()
            for i in 0..<32 {
                s.wideWeights[i] = s.wideWeights[i] * (sigma2 + s.wideX[i] * s.wideX[i]).squareRoot()
                sumW += s.wideWeights[i]
            }
            GGMLLanes.store(sumW, lanes: lanes, into: s.weightSums)
        } else {
            var sumX2 = GGMLWide()
            for i in 0..<32 { sumX2 += s.wideX[i] * s.wideX[i] }
            let average = (sumX2 / 32).squareRoot()
            for i in 0..<32 { s.wideWeights[i] = average + GGMLLanes.magnitude(s.wideX[i]) }
        }
        let grid: GGMLAffineSearch.Grid = importance != nil ? .importance : bits == 4 ? .q4K : .q5K
        let fits = GGMLAffineSearch.search(s.wideX, weights: s.wideWeights, count: 32, nmax: (1 << bits) - 1,
                                           grid: grid, absoluteError: false, codes: s.wideCodes,
                                           stepCodes: s.wideStepCodes)
        GGMLLanes.scatter(s.wideCodes, count: 32, lanes: lanes, into: s.codes)
        GGMLLanes.store(fits.scale, lanes: lanes, into: s.scales)
        GGMLLanes.store(fits.min, lanes: lanes, into: s.mins)
    }

    /// Reference step 2 for the super-block whose sub-blocks start at `first` in the scratch:
    /// writes d, dmin and the packed scale codes to `header`.
    private static func encodeScalesReference(_ first: Int, scratch s: GGMLBlockScratch, header: UnsafeMutablePointer<UInt8>) {
        let (scales, mins) = (s.scales + first, s.mins + first)
        var maxScale: Float = 0, maxMin: Float = 0
        for j in 0..<8 {
            if scales[j] > maxScale { maxScale = scales[j] }
            if mins[j] > maxMin { maxMin = mins[j] }
        }
        let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
        for j in 0..<8 {
            s.scaleCodes[j] = Swift.min(63, UInt8(truncatingIfNeeded: GGMLArithmetic.nearestInt(inverseScale * scales[j])))
            s.minCodes[j] = Swift.min(63, UInt8(truncatingIfNeeded: GGMLArithmetic.nearestInt(inverseMin * mins[j])))
        }
        header.update(repeating: 0, count: 16)
        GGMLScaleCodes.packK4(scales: s.scaleCodes, mins: s.minCodes, into: header + 4)
        GGMLArithmetic.storeFP16(maxScale / 63, at: header)
        GGMLArithmetic.storeFP16(maxMin / 63, at: header + 2)
    }

    /// Importance step 2 for the super-block whose sub-blocks start at `first` in the scratch: the
    /// steps d and dmin searched over the scales and mins, written with their packed codes to `header`.
    private static func encodeScalesWeighted(_ first: Int, bits: Int, scratch s: GGMLBlockScratch,
                                             header: UnsafeMutablePointer<UInt8>) {
        let weights = s.weightSums + first
        let d = GGMLScaleCodes.search(s.scales + first, count: 8, nmax: 63, weights: weights, codes: s.scaleCodes)
        let dmin = GGMLScaleCodes.search(s.mins + first, count: 8, nmax: 63, weights: weights, codes: s.minCodes)
        if bits == 5 {  // q5_K caps the codes at 63 (a no-op unless a negative value wrapped); q4_K does not
            for j in 0..<8 {
                s.scaleCodes[j] = Swift.min(63, s.scaleCodes[j])
                s.minCodes[j] = Swift.min(63, s.minCodes[j])
            }
        }
        GGMLScaleCodes.packK4(scales: s.scaleCodes, mins: s.minCodes, into: header + 4)
        GGMLArithmetic.storeFP16(d, at: header)
        GGMLArithmetic.storeFP16(dmin, at: header + 2)
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
