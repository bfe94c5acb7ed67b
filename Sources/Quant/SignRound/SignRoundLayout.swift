import Formats
import TensorCore

/// The groups of one tunable layer and their unclipped ranges, fixed for the whole optimisation.
///
/// Groups run along the input dimension (`groupSize` consecutive weights of a row; a row's last group
/// may be short), counted row-major as in `QuantizedTensor.scales`. Per group: lo = min(min w, 0),
/// hi = max(max w, 0) (FP4 blocks use amax = max(-lo, hi)). SignRound's alpha multiplies hi (int) or
/// amax (FP4); beta multiplies lo (int only).
struct SignRoundLayout: Sendable {
    /// The arithmetic of a tunable format.
    enum Scheme: Sendable, Equatable {
        /// Integer codes, `bits` wide; symmetric full range or asymmetric with a zero point.
        case int(bits: Int, symmetric: Bool)
        /// E2M1 elements, power-of-two block scale.
        case mxfp4
        /// E2M1 elements, E4M3 block scale divided by the fp32 tensor scale `global`.
        case nvfp4(global: Float)
    }

    let scheme: Scheme
    let rows: Int
    let cols: Int
    let groupSize: Int
    let groupsPerRow: Int
    /// min(min w, 0) per group.
    let lo: [Float]
    /// max(max w, 0) per group.
    let hi: [Float]

    var groupCount: Int { rows * groupsPerRow }
    /// Whether beta (the lower clip) is a parameter.
    var hasMinClip: Bool { if case .int = scheme { return true } else { return false } }

    /// The layout of `w` in `format`, or nil when SignRound does not tune the format (fp8, bf16).
    init?(format: QuantFormat, weights w: Matrix) {
        switch format.family {
        case .int:
            guard case let .group(g) = format.granularity else { return nil }
            scheme = .int(bits: format.bits, symmetric: format.symmetric)
            groupSize = g
        case .mxfp4:
            scheme = .mxfp4
            groupSize = MXFP4Quantizer.blockSize
        case .nvfp4:
            let amax = w.data.reduce(Float(0)) { max($0, $1.magnitude) }
            scheme = .nvfp4(global: NVFP4Quantizer.globalScale(amax: amax))
            groupSize = NVFP4Quantizer.blockSize
        case .fp8, .bf16:
            return nil
        }
        rows = w.rows
        cols = w.cols
        groupsPerRow = ceilDiv(w.cols, groupSize)
        var lo = [Float](repeating: 0, count: w.rows * groupsPerRow)
        var hi = lo
        for r in 0..<w.rows {
            for g in 0..<groupsPerRow {
                let start = r * w.cols + g * groupSize, end = r * w.cols + min(w.cols, (g + 1) * groupSize)
                var l: Float = 0, h: Float = 0
                for i in start..<end {
                    let x = w.data[i]
                    l = x < l ? x : l
                    h = x > h ? x : h
                }
                lo[r * groupsPerRow + g] = l
                hi[r * groupsPerRow + g] = h
            }
        }
        self.lo = lo
        self.hi = hi
    }
}

/// One group's scale (and zero point) under the current alpha, beta, with the straight-through
/// derivatives of both. Derivatives are 0 where a clamp (minimum scale, zero-point range) binds.
struct GroupScale {
    var scale: Float = 0
    var zero: Float = 0
    var dScaleDAlpha: Float = 0
    var dScaleDBeta: Float = 0
    var dZeroDAlpha: Float = 0
    var dZeroDBeta: Float = 0

    /// Int groups, mirroring `IntGroupQuantizer.scaleAndZero` step for step.
    @inline(__always)
    static func int<R: SignRoundRounding>(_: R.Type, lo lo0: Float, hi hi0: Float, alpha: Float, beta: Float,
                                          bits: Int, symmetric: Bool) -> GroupScale {
        var g = GroupScale()
        let hi = hi0 * alpha, lo = lo0 * beta
        let minScale = IntGroupQuantizer.minScale
        if symmetric {
            let maxq = Float(1 << (bits - 1))
            let lowerDominates = hi < -lo
            let s = R.half((lowerDominates ? -lo : -hi) / maxq)
            g.scale = s < 0 ? min(s, -minScale) : max(s, minScale)
            g.zero = maxq
            if g.scale == s && s != 0 {
                if lowerDominates { g.dScaleDBeta = -lo0 / maxq } else { g.dScaleDAlpha = -hi0 / maxq }
            }
            return g
        }
        let maxCode = Float((1 << bits) - 1)
        let s = R.half((hi - lo) / maxCode)
        g.scale = max(s, minScale)
        if g.scale == s {
            g.dScaleDAlpha = hi0 / maxCode
            g.dScaleDBeta = -lo0 / maxCode
        }
        let zr = R.integer(-lo / g.scale)
        g.zero = min(max(zr, 0), maxCode)
        if zr >= 0 && zr <= maxCode {
            // z = -lo / s: dz/ds = lo / s^2, dz/dlo = -1 / s, dlo/dbeta = lo0.
            let dzds = lo / (g.scale * g.scale)
            g.dZeroDAlpha = dzds * g.dScaleDAlpha
            g.dZeroDBeta = dzds * g.dScaleDBeta - lo0 / g.scale
        }
        return g
    }

    /// FP4 blocks, mirroring `FP4Blocks.fakeQuantize` with MXFP4's or NVFP4's block scale.
    @inline(__always)
    static func fp4<R: SignRoundRounding>(_: R.Type, amax: Float, alpha: Float, nvGlobal: Float?) -> GroupScale {
        var g = GroupScale()
        let clipped = amax * alpha
        if let global = nvGlobal {
            g.scale = R.e4m3(global * (clipped / E2M1.maxValue)) / global
            if g.scale != 0 { g.dScaleDAlpha = amax / E2M1.maxValue }
        } else {
            g.scale = R.mxScale(clipped)
            if amax > 0 { g.dScaleDAlpha = g.scale / alpha }
        }
        return g
    }
}
