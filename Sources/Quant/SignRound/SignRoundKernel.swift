import Formats
import TensorCore

/// SignRound's elementwise passes over one layer: the forward pass (D = Q - W) and the backward
/// pass (straight-through gradients from dL/dQ, optionally followed by one signed step).
///
/// Straight-through rules, per weight with scaled value x = w / s + V:
/// - int: u = clamp(round(x) + z, 0, 2^b - 1), Q = s (u - z). Where round(x) + z lies in the code
///   range: dQ/dV = s, dQ/ds = (u - z) - w / s, dQ/dz = 0; where it is clamped: dQ/dV = 0,
///   dQ/ds = u - z, dQ/dz = -s.
/// - FP4: e = E2M1(x), Q = e s. Where |x| <= 6: dQ/dV = s, dQ/ds = e - w / s; saturated: dQ/dV = 0, dQ/ds = e.
/// Group derivatives chain through `GroupScale` (ds/dalpha, ds/dbeta, dz/dalpha, dz/dbeta).
/// Rows are processed in parallel chunks; each chunk writes only its own rows (and its own groups'
/// alpha, beta), so results do not depend on scheduling: the pointers a pass is given are shared
/// with the chunks as `SharedPointer`s under that contract. Entry points check shapes and index
/// ranges with `assert` (debug builds only). - Complexity: O(rows x cols) per pass, no allocation.
struct SignRoundKernel<R: SignRoundRounding> {
    let layout: SignRoundLayout

    /// Where the backward pass writes gradients (each may be nil) and the signed step it takes.
    /// Shared by the row chunks of a pass, each writing only its own rows' and groups' elements.
    struct Backward: @unchecked Sendable {
        var gradV: UnsafeMutablePointer<Float>? = nil
        var gradAlpha: UnsafeMutablePointer<Float>? = nil
        var gradBeta: UnsafeMutablePointer<Float>? = nil
        /// The step to take (`SignRoundUpdate.none` leaves the parameters unchanged).
        var update: SignRoundUpdate = .none
    }

    @inline(__always)
    func scale(group gi: Int, alpha: Float, beta: Float) -> GroupScale {
        switch layout.scheme {
        case let .int(bits, symmetric):
            return GroupScale.int(R.self, lo: layout.lo[gi], hi: layout.hi[gi], alpha: alpha, beta: beta,
                                  bits: bits, symmetric: symmetric)
        case .mxfp4:
            return GroupScale.fp4(R.self, amax: max(-layout.lo[gi], layout.hi[gi]), alpha: alpha, nvGlobal: nil)
        case let .nvfp4(global):
            return GroupScale.fp4(R.self, amax: max(-layout.lo[gi], layout.hi[gi]), alpha: alpha, nvGlobal: global)
        }
    }

    var maxCode: Float {
        if case let .int(bits, _) = layout.scheme { return Float((1 << bits) - 1) }
        return 0
    }

    var isInt: Bool { if case .int = layout.scheme { return true } else { return false } }

    /// Runs `body(row range of the chunk)` on all cores.
    private func forEachRowChunk(_ body: @Sendable (Range<Int>) -> Void) {
        let (chunks, size) = rowChunks(layout.rows)
        let rows = layout.rows
        parallelFor(chunks) { c in body((c * size)..<min(rows, (c + 1) * size)) }
    }

    /// Writes D = Q(W; V, alpha, beta) - W (and Q itself into `q` when given).
    func forward(w: UnsafePointer<Float>, v: UnsafePointer<Float>, alpha: UnsafePointer<Float>,
                 beta: UnsafePointer<Float>, d: UnsafeMutablePointer<Float>, q: UnsafeMutablePointer<Float>? = nil) {
        let (w, v, d, q) = (SharedPointer(w), SharedPointer(v), SharedPointer(d), q.map { SharedPointer($0) })
        forEachGroup(alpha: alpha, beta: beta) { _, start, count, p in
            // Q = s c, bit-identical to the quantizers (s c is their dequantization).
            let c = q.map { $0 + start } ?? d + start
            codes(group: p, w: w + start, v: v + start, into: c, count: count)
            for i in start..<(start + count) {
                let value = p.scale * c[i - start]
                q?[i] = value
                d[i] = value - w[i]
            }
        }
    }

    /// Writes every weight's code and every group's scale so that Q = scale x code, bit-identical to
    /// `forward`'s Q: int codes are u - z (integers in [-z, 2^b - 1 - z]), FP4 codes are E2M1 values
    /// (0 where the block scale is 0).
    func codes(w: UnsafePointer<Float>, v: UnsafePointer<Float>, alpha: UnsafePointer<Float>,
               beta: UnsafePointer<Float>, codes c: UnsafeMutablePointer<Float>, scales: UnsafeMutablePointer<Float>) {
        let (w, v, c, scales) = (SharedPointer(w), SharedPointer(v), SharedPointer(c), SharedPointer(scales))
        forEachGroup(alpha: alpha, beta: beta) { gi, start, count, p in
            scales[gi] = p.scale
            codes(group: p, w: w + start, v: v + start, into: c + start, count: count)
        }
    }

    /// The codes of one group under its scale `p` (see `codes(w:v:alpha:beta:codes:scales:)`).
    @inline(__always)
    func codes(group p: GroupScale, w: UnsafePointer<Float>, v: UnsafePointer<Float>,
               into c: UnsafeMutablePointer<Float>, count: Int) {
        if isInt {
            SignRoundGroupLoops<R>.intCodes(w: w, v: v, codes: c, count: count, scale: p.scale, zero: p.zero, maxCode: maxCode)
        } else {
            SignRoundGroupLoops<R>.fp4Codes(w: w, v: v, codes: c, count: count, scale: p.scale)
        }
    }

    /// From dL/dQ = `gradScale` x `g` (g = D Hqq + E), the gradients of V, alpha and beta; writes
    /// them where `out` says and moves each parameter by `out.update` (`SignRoundUpdate`: signed
    /// step, V clamped to `offsetRange`, alpha and beta to `clipRange`).
    func backward(w: UnsafePointer<Float>, g: UnsafePointer<Float>, gradScale: Float,
                  v: UnsafeMutablePointer<Float>, alpha: UnsafeMutablePointer<Float>,
                  beta: UnsafeMutablePointer<Float>, out: Backward) {
        let (w, g, v) = (SharedPointer(w), SharedPointer(g), SharedPointer(v))
        let (alphaShared, betaShared) = (SharedPointer(alpha), SharedPointer(beta))
        forEachGroup(alpha: alpha, beta: beta) { gi, start, count, p in
            let (alpha, beta) = (alphaShared.base, betaShared.base)
            backward(group: gi, scale: p, w: w + start, g: g + start, gradScale: gradScale, v: v + start,
                     vNext: v + start, alpha: alpha, beta: beta, alphaNext: alpha, betaNext: beta, out: out,
                     offset: start, count: count)
        }
    }

    /// The backward pass of group `gi` (its weights at `w`, `g`, `v`; `offset` places them in
    /// `out.gradV`): the stepped V goes to `vNext`, alpha and beta to `alphaNext`, `betaNext` (each
    /// may be the parameter itself; a parameter that does not move is copied).
    @inline(__always)
    func backward(group gi: Int, scale p: GroupScale, w: UnsafePointer<Float>, g: UnsafePointer<Float>, gradScale: Float,
                  v: UnsafePointer<Float>, vNext: UnsafeMutablePointer<Float>, alpha: UnsafePointer<Float>,
                  beta: UnsafePointer<Float>, alphaNext: UnsafeMutablePointer<Float>, betaNext: UnsafeMutablePointer<Float>,
                  out: Backward, offset: Int, count: Int) {
        let update = out.update
        let gradV = out.gradV.map { $0 + offset }
        let sums = isInt
            ? SignRoundGroupLoops<R>.intBackward(w: w, g: g, gradScale: gradScale, v: v, vNext: vNext, gradV: gradV,
                                                 count: count, scale: p.scale, zero: p.zero, maxCode: maxCode, update: update)
            : SignRoundGroupLoops<R>.fp4Backward(w: w, g: g, gradScale: gradScale, v: v, vNext: vNext, gradV: gradV,
                                                 count: count, scale: p.scale, update: update)
        let ga = sums.scale * p.dScaleDAlpha + sums.zero * p.dZeroDAlpha
        let gb = sums.scale * p.dScaleDBeta + sums.zero * p.dZeroDBeta
        let tuneBeta = layout.hasMinClip
        out.gradAlpha?[gi] = ga
        out.gradBeta?[gi] = tuneBeta ? gb : 0
        alphaNext[gi] = update.movesClips ? update.clip(alpha[gi], gradient: ga) : alpha[gi]
        betaNext[gi] = update.movesClips && tuneBeta ? update.clip(beta[gi], gradient: gb) : beta[gi]
    }

    /// Runs `body(group index, first weight, weight count, scale)` for every group, rows in parallel
    /// chunks. The scale is read before `body` runs, so `body` may move alpha and beta of its group.
    private func forEachGroup(alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                              _ body: @Sendable (Int, Int, Int, GroupScale) -> Void) {
        let cols = layout.cols, gs = layout.groupSize, gpr = layout.groupsPerRow
        assert(gs > 0 && gpr * gs >= cols && (gpr - 1) * gs < cols,
               "SignRound layout: \(gpr) groups of \(gs) do not tile \(cols) columns")
        let (alpha, beta) = (SharedPointer(alpha), SharedPointer(beta))
        forEachRowChunk { rows in
            for r in rows {
                for g in 0..<gpr {
                    let gi = r * gpr + g
                    let start = r * cols + g * gs
                    body(gi, start, min(cols, (g + 1) * gs) - g * gs, scale(group: gi, alpha: alpha[gi], beta: beta[gi]))
                }
            }
        }
    }
}
