/// Encoder of q6_K (`quantize_row_q6_K_ref`, `quantize_row_q6_K_impl`): 256-weight super-blocks
/// of 16 symmetric sub-blocks of 16, w = d * sc * (q - 32), q in 0...63, sc an int8.
///
/// Layout (bytes): [128 bytes ql][64 bytes qh][16 x int8 sc][fp16 d]. For each half h = 0, 1
/// (weights 128 h...128 h + 127) and l = 0..<32: ql[64 h + l] holds the low 4 bits of weights
/// 128 h + l (low nibble) and 128 h + 64 + l (high nibble), ql[64 h + 32 + l] those of
/// 128 h + 32 + l and 128 h + 96 + l; qh[32 h + l] holds the top 2 bits of weights
/// 128 h + l, + 32, + 64, + 96 at bits 0, 2, 4, 6.
///
/// Each sub-block's scale comes from `GGMLSymmetricSearch.search` (nmax 32) with weights x^2
/// (reference) or the importance values themselves (importance path: llama.cpp passes them
/// unchanged). d = -(the scale of largest magnitude) / 128 (fp16), sc = min(127, nearestInt(scale / d)),
/// then every weight is re-rounded against d * sc as stored: q = clamp(nearestInt(x / (d sc)), -32, 31) + 32.
/// A super-block whose scales are all below 1e-15 in magnitude is stored as 210 zero bytes.
enum GGMLQ6K {
    static func encode(_ x: UnsafePointer<Float>, count n: Int, importance: UnsafePointer<Float>?,
                       out: UnsafeMutablePointer<UInt8>, scratch s: GGMLBlockScratch) {
        for b in 0..<(n / 256) {
            let xb = x + 256 * b, yb = out + 210 * b
            for half in 0..<2 {
                let first = 8 * half
                GGMLLanes.gather(xb + 16 * first, count: 16, stride: 16, lanes: 8, into: s.x)
                if let importance {
                    GGMLLanes.gather(importance + 256 * b + 16 * first, count: 16, stride: 16, lanes: 8, into: s.weights)
                }
                let scales = GGMLSymmetricSearch.search(s.x, count: 16, nmax: 32, weights: importance == nil ? nil : s.weights,
                                                        codes: s.laneCodes)
                GGMLLanes.store(scales, lanes: 8, into: s.scales + first)
                GGMLLanes.scatter(s.laneCodes, count: 16, lanes: 8, into: s.codes + 16 * first)
            }
            var maxScale: Float = 0, maxAbsScale: Float = 0
            for k in 0..<16 where s.scales[k].magnitude > maxAbsScale {
                maxAbsScale = s.scales[k].magnitude
                maxScale = s.scales[k]
            }
            guard maxAbsScale >= 1e-15 else {
                yb.update(repeating: 0, count: 210)
                continue
            }
            let iscale = -128 / maxScale
            GGMLArithmetic.storeFP16(1 / iscale, at: yb + 208)
            for k in 0..<16 {
                let code = Swift.min(127, GGMLArithmetic.nearestInt(iscale * s.scales[k]))
                yb[192 + k] = UInt8(truncatingIfNeeded: code)
            }
            requantize(xb, header: yb, codes: s.codes)
            pack(s.codes, into: yb)
        }
    }

    /// Re-rounds every weight against d * sc as stored; sub-blocks with d * sc = 0 keep their codes.
    private static func requantize(_ x: UnsafePointer<Float>, header yb: UnsafeMutablePointer<UInt8>,
                                   codes: UnsafeMutablePointer<UInt8>) {
        let d = GGMLArithmetic.loadFP16(yb + 208)
        for k in 0..<16 {
            let step = d * Float(Int8(bitPattern: yb[192 + k]))
            if step == 0 { continue }
            GGMLLanes.requantize(x + 16 * k, count: 16, offset: 0, step: step, lo: -32, hi: 31, bias: 32, into: codes + 16 * k)
        }
    }

    /// The 128 ql bytes and 64 qh bytes from 256 codes 0...63.
    private static func pack(_ codes: UnsafePointer<UInt8>, into yb: UnsafeMutablePointer<UInt8>) {
        for h in 0..<2 {
            let q = codes + 128 * h, ql = yb + 64 * h, qh = yb + 128 + 32 * h
            for l in 0..<32 {
                let (q1, q2, q3, q4) = (q[l], q[l + 32], q[l + 64], q[l + 96])
                ql[l] = (q1 & 0xF) | (q3 & 0xF) << 4
                ql[l + 32] = (q2 & 0xF) | (q4 & 0xF) << 4
                qh[l] = q1 >> 4 | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6
            }
        }
    }
}
