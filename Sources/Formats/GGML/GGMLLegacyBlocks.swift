/// Encoders of ggml's 32-weight blocks: q8_0, q4_0, q5_0 (`quantize_row_*_ref` and, with an
/// importance vector, `quantize_row_*_impl`).
///
/// Reference path: d = m / -8 (q4_0) or m / -16 (q5_0), m the block's value of largest magnitude
/// (the first one on ties), so m itself gets code 0; each code is trunc(x / d + 8.5) (+ 16.5),
/// i.e. rounding half up, capped at 15 (31). q8_0: d = amax / 127, q = round(x / d) half away from
/// zero. Both divide by multiplying with 1 / d in binary32, and store d as fp16 (nearest even).
/// Importance path (q4_0, q5_0): `make_qx_quants` per block with weights
/// w_j = importance_j * sqrt(sigma^2 + x_j^2), sigma^2 the mean square of the whole row.
enum GGMLLegacyBlocks {
    /// q8_0: 34-byte blocks [fp16 d][32 x int8 q]; importance is ignored (as `quantize_q8_0` does).
    static func encodeQ8_0(_ x: UnsafePointer<Float>, count n: Int, out: UnsafeMutablePointer<UInt8>) {
        for b in 0..<(n / 32) {
            let xb = x + 32 * b, yb = out + 34 * b
            var amax: Float = 0
            for j in 0..<32 { amax = Swift.max(amax, xb[j].magnitude) }
            let d = amax / 127
            let id: Float = d != 0 ? 1 / d : 0
            GGMLArithmetic.storeFP16(d, at: yb)
            for j in 0..<32 {
                let q = GGMLArithmetic.truncatedInt32((xb[j] * id).rounded(.toNearestOrAwayFromZero))
                yb[2 + j] = UInt8(truncatingIfNeeded: q)
            }
        }
    }

    /// The block's value of largest magnitude, the first one on ties (0 for an all-zero block).
    @inline(__always)
    private static func signedMax(_ x: UnsafePointer<Float>) -> Float {
        var amax: Float = 0, m: Float = 0
        for j in 0..<32 where amax < x[j].magnitude {
            amax = x[j].magnitude
            m = x[j]
        }
        return m
    }

    /// The reference's code trunc(v + bias) capped at `top`: the C conversion to int8_t (x86
    /// truncation), then MIN with the cap, stored as a byte (also q4_1's, `GGMLLegacyAffineBlocks`).
    @inline(__always)
    static func roundedUp(_ v: Float, bias: Float, top: Int) -> UInt8 {
        let t = Int(Int8(truncatingIfNeeded: GGMLArithmetic.truncatedInt32(v + bias)))
        return UInt8(truncatingIfNeeded: Swift.min(top, t))
    }

    /// q4_0: 18-byte blocks [fp16 d][16 bytes: weight j low nibble, weight j + 16 high nibble].
    static func encodeQ4_0(_ x: UnsafePointer<Float>, count n: Int, importance: UnsafePointer<Float>?,
                           out: UnsafeMutablePointer<UInt8>, scratch: GGMLBlockScratch) {
        if let importance {
            return encodeWeighted(x, count: n, importance: importance, nmax: 8, out: out, scratch: scratch, pack: packQ4_0)
        }
        for b in 0..<(n / 32) {
            let xb = x + 32 * b, yb = out + 18 * b
            let d = signedMax(xb) / -8
            let id: Float = d != 0 ? 1 / d : 0
            GGMLArithmetic.storeFP16(d, at: yb)
            for j in 0..<16 {
                let lo = roundedUp(xb[j] * id, bias: 8.5, top: 15), hi = roundedUp(xb[j + 16] * id, bias: 8.5, top: 15)
                yb[2 + j] = lo | hi << 4
            }
        }
    }

    /// q5_0: 22-byte blocks [fp16 d][4 bytes qh, little-endian: bit j = bit 4 of weight j][16 bytes
    /// of low nibbles as q4_0].
    static func encodeQ5_0(_ x: UnsafePointer<Float>, count n: Int, importance: UnsafePointer<Float>?,
                           out: UnsafeMutablePointer<UInt8>, scratch: GGMLBlockScratch) {
        if let importance {
            return encodeWeighted(x, count: n, importance: importance, nmax: 16, out: out, scratch: scratch, pack: packQ5_0)
        }
        let codes = scratch.codes
        for b in 0..<(n / 32) {
            let xb = x + 32 * b
            let d = signedMax(xb) / -16
            let id: Float = d != 0 ? 1 / d : 0
            GGMLArithmetic.storeFP16(d, at: out + 22 * b)
            for j in 0..<32 { codes[j] = roundedUp(xb[j] * id, bias: 16.5, top: 31) }
            packQ5_0(codes, out + 22 * b + 2)
        }
    }

    /// The importance path of q4_0 and q5_0: per block, `make_qx_quants` with weights
    /// importance_j * sqrt(sigma^2 + x_j^2), sigma^2 = sum x^2 / n over the whole row; eight blocks
    /// at a time in SIMD lanes.
    private static func encodeWeighted(_ x: UnsafePointer<Float>, count n: Int, importance: UnsafePointer<Float>,
                                       nmax: Int, out: UnsafeMutablePointer<UInt8>, scratch s: GGMLBlockScratch,
                                       pack: (UnsafePointer<UInt8>, UnsafeMutablePointer<UInt8>) -> Void) {
        var sumX2: Float = 0
        for j in 0..<n { sumX2 += x[j] * x[j] }
        let sigma2 = SIMD8<Float>(repeating: sumX2 / Float(n))
        let stride = nmax == 8 ? 18 : 22
        let blocks = n / 32
        for first in Swift.stride(from: 0, to: blocks, by: 8) {
            let lanes = Swift.min(8, blocks - first)
            GGMLLanes.gather(x + 32 * first, count: 32, stride: 32, lanes: lanes, into: s.x)
            GGMLLanes.gather(importance + 32 * first, count: 32, stride: 32, lanes: lanes, into: s.weights)
            for i in 0..<32 { s.weights[i] = s.weights[i] * (sigma2 + s.x[i] * s.x[i]).squareRoot() }
            let d = GGMLSymmetricSearch.search(s.x, count: 32, nmax: nmax, weights: s.weights, codes: s.laneCodes)
            GGMLLanes.scatter(s.laneCodes, count: 32, lanes: lanes, into: s.codes)
            for k in 0..<lanes {
                let yb = out + stride * (first + k)
                GGMLArithmetic.storeFP16(d[k], at: yb)
                pack(s.codes + 32 * k, yb + 2)
            }
        }
    }

    /// q4_0's 16 code bytes from 32 codes 0...15 (q4_1's too).
    static func packQ4_0(_ codes: UnsafePointer<UInt8>, _ p: UnsafeMutablePointer<UInt8>) {
        for j in 0..<16 { p[j] = codes[j] | codes[j + 16] << 4 }
    }

    /// q5_0's qh word and 16 nibble bytes from 32 codes 0...31 (q5_1's too).
    static func packQ5_0(_ codes: UnsafePointer<UInt8>, _ p: UnsafeMutablePointer<UInt8>) {
        var qh: UInt32 = 0
        for j in 0..<16 {
            let (lo, hi) = (codes[j], codes[j + 16])
            p[4 + j] = (lo & 0x0F) | (hi & 0x0F) << 4
            qh |= UInt32((lo & 0x10) >> 4) << UInt32(j)
            qh |= UInt32((hi & 0x10) >> 4) << UInt32(j + 16)
        }
        for k in 0..<4 { p[k] = UInt8(truncatingIfNeeded: qh >> UInt32(8 * k)) }
    }
}
