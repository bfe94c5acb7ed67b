/// Sixteen sub-blocks side by side, for `GGMLAffineSearch`: the layout of `GGMLLanes` (row i of a
/// lane layout holds value i of sub-block k in lane k) on two groups of eight lanes.
///
/// The search's running sums are chains of one add per value, in the reference's order (they
/// cannot be reassociated without changing bytes), so a single group of eight lanes waits on the
/// adder's latency. `GGMLWide` applies every operation to two independent `SIMD8` halves, whose
/// chains run interleaved: sixteen sub-blocks take little more time than eight. (Swift's `SIMD16`
/// would do the same, but its masks and lane conversions compile to 128-bit shuffles and calls.)
struct GGMLWide {
    var low: SIMD8<Float>
    var high: SIMD8<Float>

    @inline(__always) init(_ low: SIMD8<Float>, _ high: SIMD8<Float>) { (self.low, self.high) = (low, high) }
    @inline(__always) init(repeating v: Float) { self.init(SIMD8(repeating: v), SIMD8(repeating: v)) }
    @inline(__always) init() { self.init(repeating: 0) }

    /// Lane k (0..<16).
    @inline(__always) subscript(k: Int) -> Float {
        get { k < 8 ? low[k] : high[k - 8] }
        set { if k < 8 { low[k] = newValue } else { high[k - 8] = newValue } }
    }

    @inline(__always) static func + (a: Self, b: Self) -> Self { Self(a.low + b.low, a.high + b.high) }
    @inline(__always) static func - (a: Self, b: Self) -> Self { Self(a.low - b.low, a.high - b.high) }
    @inline(__always) static func * (a: Self, b: Self) -> Self { Self(a.low * b.low, a.high * b.high) }
    @inline(__always) static func / (a: Self, b: Self) -> Self { Self(a.low / b.low, a.high / b.high) }
    @inline(__always) static func / (a: Float, b: Self) -> Self { Self(a / b.low, a / b.high) }
    @inline(__always) static func / (a: Self, b: Float) -> Self { Self(a.low / b, a.high / b) }
    @inline(__always) static func += (a: inout Self, b: Self) { a = a + b }
    /// 0 - a, lane by lane (SIMD negation: +0 stays +0).
    @inline(__always) static prefix func - (a: Self) -> Self { Self(-a.low, -a.high) }
    @inline(__always) func squareRoot() -> Self { Self(low.squareRoot(), high.squareRoot()) }
    @inline(__always) static func .< (a: Self, b: Self) -> GGMLWideMask { GGMLWideMask(a.low .< b.low, a.high .< b.high) }
    @inline(__always) static func .> (a: Self, b: Self) -> GGMLWideMask { GGMLWideMask(a.low .> b.low, a.high .> b.high) }
    @inline(__always) static func .> (a: Self, b: Float) -> GGMLWideMask { GGMLWideMask(a.low .> b, a.high .> b) }

    @inline(__always) mutating func replace(with other: Self, where mask: GGMLWideMask) {
        low.replace(with: other.low, where: mask.low)
        high.replace(with: other.high, where: mask.high)
    }

    @inline(__always) mutating func replace(with value: Float, where mask: GGMLWideMask) {
        low.replace(with: value, where: mask.low)
        high.replace(with: value, where: mask.high)
    }
}

/// Sixteen lane flags of `GGMLWide` comparisons.
struct GGMLWideMask {
    var low: SIMDMask<SIMD8<Int32>>
    var high: SIMDMask<SIMD8<Int32>>

    @inline(__always) init(_ low: SIMDMask<SIMD8<Int32>>, _ high: SIMDMask<SIMD8<Int32>>) { (self.low, self.high) = (low, high) }
    @inline(__always) static func .& (a: Self, b: Self) -> Self { Self(a.low .& b.low, a.high .& b.high) }
    @inline(__always) static prefix func .! (a: Self) -> Self { Self(.!a.low, .!a.high) }
}

/// Sixteen lanes of integer codes.
struct GGMLWideCodes {
    var low: SIMD8<Int32>
    var high: SIMD8<Int32>

    @inline(__always) init(_ low: SIMD8<Int32>, _ high: SIMD8<Int32>) { (self.low, self.high) = (low, high) }
    @inline(__always) init(repeating v: Int32) { self.init(SIMD8(repeating: v), SIMD8(repeating: v)) }

    @inline(__always) subscript(k: Int) -> Int32 { k < 8 ? low[k] : high[k - 8] }

    @inline(__always) mutating func replace(with value: Int32, where mask: GGMLWideMask) {
        low.replace(with: value, where: mask.low)
        high.replace(with: value, where: mask.high)
    }
}

extension GGMLLanes {
    /// Rows of the `n`-value sub-blocks at x, x + stride, ... (`lanes` of them, <= 16): row i lane k
    /// is x[stride * k + i]. Missing lanes are 0.
    @inline(__always)
    static func gather(_ x: UnsafePointer<Float>, count n: Int, stride: Int, lanes: Int,
                       into rows: UnsafeMutablePointer<GGMLWide>) {
        assert(lanes >= 1 && lanes <= 16 && n >= 1, "gather of \(lanes) lanes of \(n) values")
        for i in 0..<n {
            var r = GGMLWide()
            for k in 0..<lanes { r[k] = x[stride * k + i] }
            rows[i] = r
        }
    }

    /// Stores lane k of row i as the byte codes[n * k + i], for the first `lanes` lanes.
    @inline(__always)
    static func scatter(_ rows: UnsafePointer<GGMLWideCodes>, count n: Int, lanes: Int, into codes: UnsafeMutablePointer<UInt8>) {
        for i in 0..<n {
            let r = rows[i]
            for k in 0..<lanes { codes[n * k + i] = UInt8(truncatingIfNeeded: r[k]) }
        }
    }

    /// The first `lanes` lanes of `v` stored to p[0..<lanes].
    @inline(__always)
    static func store(_ v: GGMLWide, lanes: Int, into p: UnsafeMutablePointer<Float>) {
        for k in 0..<lanes { p[k] = v[k] }
    }

    /// |v| lane by lane.
    @inline(__always)
    static func magnitude(_ v: GGMLWide) -> GGMLWide { GGMLWide(magnitude(v.low), magnitude(v.high)) }

    /// `nearestInt(v)` clamped to 0...top, lane by lane, as a Float.
    @inline(__always)
    static func code(_ v: GGMLWide, top: SIMD8<Int32>) -> GGMLWide {
        GGMLWide(code(v.low, .zero, top), code(v.high, .zero, top))
    }

    /// `nearestInt(v)` clamped to 0...top, lane by lane.
    @inline(__always)
    static func intCode(_ v: GGMLWide, top: SIMD8<Int32>) -> GGMLWideCodes {
        GGMLWideCodes(intCode(v.low, .zero, top), intCode(v.high, .zero, top))
    }

    /// `weightedSubBlocks` on all sixteen 16-value sub-blocks of a super-block (q2_K): values into
    /// `s.wideX`, weights importance * sqrt(sigma2 + x^2) into `s.wideWeights`; returns each lane's sum of w.
    @inline(__always)
    static func weightedSubBlocks(_ x: UnsafePointer<Float>, importance: UnsafePointer<Float>,
                                  sigma2: GGMLWide, scratch s: GGMLBlockScratch) -> GGMLWide {
        gather(x, count: 16, stride: 16, lanes: 16, into: s.wideX)
        gather(importance, count: 16, stride: 16, lanes: 16, into: s.wideWeights)
        var sumW = GGMLWide()
        for i in 0..<16 {
            s.wideWeights[i] = s.wideWeights[i] * (sigma2 + s.wideX[i] * s.wideX[i]).squareRoot()
            sumW += s.wideWeights[i]
        }
        return sumW
    }
}
