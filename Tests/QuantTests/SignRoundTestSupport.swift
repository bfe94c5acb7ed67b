import TensorCore
@testable import Formats
@testable import Quant
import TestSupport
import XCTest

/// A tunable format with any group size (the public constructor allows 32/64/128 only).
func intFormat(bits: Int, group: Int, symmetric: Bool) -> QuantFormat {
    QuantFormat(family: .int, bits: bits, granularity: .group(group), symmetric: symmetric)
}

/// Random SignRound parameters inside their ranges, away from the neutral point.
struct RandomAdjustments {
    var v: [Float]
    var alpha: [Float]
    var beta: [Float]

    init(weights: Int, groups: Int, seed: UInt64, vRange: Float = 0.5, clipLow: Float = 0.5) {
        var rng = SplitMix64(seed: seed)
        v = (0..<weights).map { _ in vRange * (2 * rng.nextUnitFloat() - 1) }
        alpha = (0..<groups).map { _ in clipLow + (1 - clipLow) * rng.nextUnitFloat() }
        beta = (0..<groups).map { _ in clipLow + (1 - clipLow) * rng.nextUnitFloat() }
    }
}

/// Explicit ||Xq Q^T - X W^T||^2 / T in Double (X, Xq tokens x in).
func explicitLoss(q: Matrix, w: Matrix, x: Matrix, xq: Matrix) -> Double {
    var total = 0.0
    for t in 0..<x.rows {
        for o in 0..<w.rows {
            var a = 0.0
            for i in 0..<w.cols {
                a += Double(xq[t, i]) * Double(q[o, i]) - Double(x[t, i]) * Double(w[o, i])
            }
            total += a * a
        }
    }
    return total / Double(x.rows)
}

/// X^T Y (in x in) in Float through BLAS.
func gram(_ x: Matrix, _ y: Matrix) -> Matrix { BLAS.matmul(x, .transposed, y, .none) }

/// The kernel's Q for explicit parameters, under rounding rule R.
func kernelQ<R: SignRoundRounding>(_: R.Type, layout: SignRoundLayout, w: Matrix, v: [Float],
                                   alpha: [Float], beta: [Float]) -> Matrix {
    var d = [Float](repeating: 0, count: w.count)
    var q = d
    SignRoundKernel<R>(layout: layout).forward(w: w.data, v: v, alpha: alpha, beta: beta, d: &d, q: &q)
    return Matrix(rows: w.rows, cols: w.cols, data: q)
}

/// Analytic gradients of L = ||Xq Q^T - X W^T||^2 / T at the given parameters, under rounding rule R.
func kernelGradients<R: SignRoundRounding>(_: R.Type, layout: SignRoundLayout, w: Matrix, objective: LayerObjective,
                                           v: [Float], alpha: [Float], beta: [Float])
    -> (v: [Float], alpha: [Float], beta: [Float]) {
    let q = kernelQ(R.self, layout: layout, w: w, v: v, alpha: alpha, beta: beta)
    var dm = q
    for i in dm.data.indices { dm.data[i] -= w.data[i] }
    var g = BLAS.matmul(dm, objective.gram)
    if let e = objective.crossTerm { for i in g.data.indices { g.data[i] += e.data[i] } }
    var gv = [Float](repeating: 0, count: w.count)
    var ga = [Float](repeating: 0, count: layout.groupCount)
    var gb = ga
    var vv = v, aa = alpha, bb = beta
    gv.withUnsafeMutableBufferPointer { pv in
        ga.withUnsafeMutableBufferPointer { pa in
            gb.withUnsafeMutableBufferPointer { pb in
                SignRoundKernel<R>(layout: layout).backward(
                    w: w.data, g: g.data, gradScale: 2 / Float(objective.tokens), v: &vv, alpha: &aa, beta: &bb,
                    out: .init(gradV: pv.baseAddress, gradAlpha: pa.baseAddress, gradBeta: pb.baseAddress))
            }
        }
    }
    return (gv, ga, gb)
}

/// A layer with correlated inputs (so rounding choices interact) and its Gram objectives.
func correlatedLayer(seed: UInt64, rows: Int = 48, cols: Int = 128, quantizedInput: Bool)
    throws -> (w: Matrix, objective: LayerObjective) {
    let w = gaussian(rows: rows, cols: cols, seed: seed, sigma: 0.05)
    var x = gaussian(rows: 512, cols: cols, seed: seed + 1)
    let mix = gaussian(rows: cols, cols: cols, seed: seed + 2, sigma: 0.3)
    x = BLAS.matmul(x, mix)
    guard quantizedInput else { return (w, try LayerObjective(gram: gram(x, x), tokens: x.rows)) }
    var xq = x
    let noise = gaussian(rows: x.rows, cols: cols, seed: seed + 3, sigma: 0.05)
    for i in xq.data.indices { xq.data[i] += noise.data[i] }
    return (w, try LayerObjective(weights: w, quantizedGram: gram(xq, xq), crossGram: gram(x, xq),
                                  originalGram: gram(x, x), tokens: x.rows))
}
