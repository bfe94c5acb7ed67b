/// Up to eight sub-blocks side by side, so one SIMD8 instruction advances all of them: row i of a
/// lane layout holds value i of sub-block k in lane k. ggml's searches run the same steps on every
/// sub-block, each in its own order, so a lane follows its sub-block's reference computation
/// exactly; where the reference branches on data, lanes choose with masks.
enum GGMLLanes {
    /// The q3_K importance step for eight 16-value sub-blocks from sub-block `first`: their
    /// values into `s.x` and their weights w = importance * sqrt(sigma2 + x^2) into `s.weights`
    /// (llama.cpp's weighting of the imatrix by each value's size); returns each lane's sum of w.
    /// q2_K's is the same on sixteen lanes (`GGMLWide`).
    @inline(__always)
    static func weightedSubBlocks(_ x: UnsafePointer<Float>, importance: UnsafePointer<Float>, first: Int,
                                  sigma2: SIMD8<Float>, scratch s: GGMLBlockScratch) -> SIMD8<Float> {
        gather(x + 16 * first, count: 16, stride: 16, lanes: 8, into: s.x)
        gather(importance + 16 * first, count: 16, stride: 16, lanes: 8, into: s.weights)
        var sumW = SIMD8<Float>()
        for i in 0..<16 {
            s.weights[i] = s.weights[i] * (sigma2 + s.x[i] * s.x[i]).squareRoot()
            sumW += s.weights[i]
        }
        return sumW
    }

    /// Rows of the `n`-value sub-blocks at x, x + stride, ... (`lanes` of them, <= 8): row i lane k
    /// is x[stride * k + i]. Missing lanes are 0.
    @inline(__always)
    static func gather(_ x: UnsafePointer<Float>, count n: Int, stride: Int, lanes: Int,
                       into rows: UnsafeMutablePointer<SIMD8<Float>>) {
        assert(lanes >= 1 && lanes <= 8 && n >= 1, "gather of \(lanes) lanes of \(n) values")
        for i in 0..<n {
            var r = SIMD8<Float>()
            for k in 0..<lanes { r[k] = x[stride * k + i] }
            rows[i] = r
        }
    }

    /// Stores lane k of row i as the byte codes[n * k + i], for the first `lanes` lanes.
    @inline(__always)
    static func scatter(_ rows: UnsafePointer<SIMD8<Int32>>, count n: Int, lanes: Int, into codes: UnsafeMutablePointer<UInt8>) {
        for i in 0..<n {
            let r = rows[i]
            for k in 0..<lanes { codes[n * k + i] = UInt8(truncatingIfNeeded: r[k]) }
        }
    }

    /// The first `lanes` lanes of `v` stored to p[0..<lanes].
    @inline(__always)
    static func store(_ v: SIMD8<Float>, lanes: Int, into p: UnsafeMutablePointer<Float>) {
        for k in 0..<lanes { p[k] = v[k] }
    }

    /// Lanes k of `v` read from p[0..<lanes]; the others 0.
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, lanes: Int) -> SIMD8<Float> {
        var v = SIMD8<Float>()
        for k in 0..<lanes { v[k] = p[k] }
        return v
    }

    /// |v| lane by lane (the sign bit cleared, as `fabsf` does).
    @inline(__always)
    static func magnitude(_ v: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    }

    /// `nearestInt(v)` clamped to lo...hi, lane by lane, as a Float.
    @inline(__always)
    static func code(_ v: SIMD8<Float>, _ lo: SIMD8<Int32>, _ hi: SIMD8<Int32>) -> SIMD8<Float> {
        float(biasedCode(v, lo, hi))
    }

    /// `nearestInt(v)` clamped to lo...hi, lane by lane.
    @inline(__always)
    static func intCode(_ v: SIMD8<Float>, _ lo: SIMD8<Int32>, _ hi: SIMD8<Int32>) -> SIMD8<Int32> {
        biasedCode(v, lo, hi) &- bias
    }

    /// 2^22: `nearestInt` subtracts it from the low 23 bits of v + 1.5 * 2^23.
    @inline(__always)
    private static var bias: SIMD8<Int32> { SIMD8(repeating: 0x0040_0000) }

    /// nearestInt(v) + 2^22 clamped to (lo...hi) + 2^22: the low mantissa bits of v + 1.5 * 2^23,
    /// compared without removing the bias. Only operations that map to single vector instructions.
    @inline(__always)
    private static func biasedCode(_ v: SIMD8<Float>, _ lo: SIMD8<Int32>, _ hi: SIMD8<Int32>) -> SIMD8<Int32> {
        let magic = SIMD8<Float>(repeating: GGMLArithmetic.magic)
        var i = unsafeBitCast(v + magic, to: SIMD8<Int32>.self) & 0x007F_FFFF
        let (l, h) = (lo &+ bias, hi &+ bias)
        i.replace(with: h, where: i .> h)
        i.replace(with: l, where: i .< l)
        return i
    }

    /// Float(i - 2^22) for 0 <= i < 2^23: the float with mantissa bits i above 2^23, minus 1.5 * 2^23.
    @inline(__always)
    private static func float(_ i: SIMD8<Int32>) -> SIMD8<Float> {
        unsafeBitCast(i | 0x4B00_0000, to: SIMD8<Float>.self) - SIMD8(repeating: GGMLArithmetic.magic)
    }

    /// Float(l) for integers |l| < 2^22, lane by lane, without a library call.
    @inline(__always)
    static func float(small l: SIMD8<Int32>) -> SIMD8<Float> { float(l &+ bias) }

    /// Eight consecutive floats at p.
    @inline(__always)
    static func row(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// The final re-rounding of k-quant weights against their stored step and offset:
    /// codes[i] = clamp(nearestInt((x[i] + offset) / step), lo, hi) + bias for i in 0..<n (n a
    /// multiple of 8), as bytes. With offset 0 this is nearestInt(x / step): x + 0 differs from x
    /// only for x = -0, and both zeros round to 0.
    @inline(__always)
    static func requantize(_ x: UnsafePointer<Float>, count n: Int, offset: Float, step: Float, lo: Int, hi: Int,
                           bias: Int, into codes: UnsafeMutablePointer<UInt8>) {
        let (o, d) = (SIMD8<Float>(repeating: offset), SIMD8<Float>(repeating: step))
        let (l, h, b) = (SIMD8<Int32>(repeating: Int32(lo)), SIMD8<Int32>(repeating: Int32(hi)), SIMD8<Int32>(repeating: Int32(bias)))
        for i in stride(from: 0, to: n, by: 8) {
            let q = intCode((row(x + i) + o) / d, l, h) &+ b
            UnsafeMutableRawPointer(codes + i).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: q), as: SIMD8<UInt8>.self)
        }
    }
}
