import Foundation
import TensorCore
@testable import Export
@testable import Model
@testable import Quant
import XCTest

/// The gradient block-wise SignRound steps on: block output MSE -> reverse pass through the block ->
/// dL/dQ of every layer -> straight-through gradients of V, alpha, beta. In the smooth view
/// (`SmoothRounding`: every rounding replaced by the identity) that chain is an exact derivative, so
/// it must match central finite differences of the block MSE.
final class BlockSignRoundGradientTests: XCTestCase {
    private let config = TinyModel.config
    private let L = 8

    /// One format of each tunable family across the block's layers (64 / 128 inputs); asymmetric int
    /// layers give beta a gradient everywhere.
    private let formats: [LinearKind: String] = [
        .q: "int4/g32", .k: "int3a/g32", .v: "int4/g32", .o: "int4a/g32",
        .gate: "mxfp4", .up: "nvfp4", .down: "int4/g32",
    ]

    private struct Setup {
        var original: LlamaBlockWeights
        var params: [LinearKind: SignRoundParameters]
        var input: Matrix
        var target: Matrix
        var arch: LlamaArchitecture
    }

    private func setup() throws -> Setup {
        let model = try LlamaModel(config: config, source: TinyModel.tensors(seed: 3), ropeLayout: .rotateHalf)
        let block = try model.loadBlock(0)
        var rng = SplitMix64(seed: 11)
        let input = Matrix(rows: 2 * L, cols: config.hiddenSize,
                           data: (0..<(2 * L * config.hiddenSize)).map { _ in rng.nextGaussian() })
        var target = input
        model.architecture.forwardBlock(weights: block, hidden: &target, sequenceLength: L)
        var params: [LinearKind: SignRoundParameters] = [:]
        for kind in LinearKind.allCases {
            let name = formats[kind]!
            var p = try XCTUnwrap(SignRoundParameters(format: try QuantFormat(parsing: name), weights: block[kind]))
            // Away from the clamps: V in [-0.2, 0.2] (0.2 to 0.5 near a code clamp), clips in [0.8, 0.95].
            var v = p.offsets.map { _ in 0.4 * rng.nextUnitFloat() - 0.2 }
            let a = p.maxClip.map { _ in 0.8 + 0.15 * rng.nextUnitFloat() }
            let b = p.minClip.map { _ in 0.8 + 0.15 * rng.nextUnitFloat() }
            Self.keepAwayFromClamps(&v, alpha: a, beta: b, layout: p.layout, weights: block[kind])
            p.set(offsets: v, maxClip: a, minClip: b)
            params[kind] = p
        }
        return Setup(original: block, params: params, input: input, target: target, arch: model.architecture)
    }

    /// Moves V by 0.3 (away from 0) wherever a weight's scaled position (int: w/s + V + z against the
    /// code range [0, 2^b - 1]; FP4: |w/s + V| against 6) lies within 0.15 of a clamp, so the finite
    /// differences below (which move positions by at most ~0.12) cross no kink of the smooth model.
    private static func keepAwayFromClamps(_ v: inout [Float], alpha: [Float], beta: [Float], layout: SignRoundLayout,
                                           weights w: Matrix) {
        for r in 0..<layout.rows {
            for g in 0..<layout.groupsPerRow {
                let gi = r * layout.groupsPerRow + g
                let scale: GroupScale, maxCode: Float?
                switch layout.scheme {
                case let .int(bits, symmetric):
                    scale = .int(SmoothRounding.self, lo: layout.lo[gi], hi: layout.hi[gi], alpha: alpha[gi], beta: beta[gi],
                                 bits: bits, symmetric: symmetric)
                    maxCode = Float((1 << bits) - 1)
                case .mxfp4:
                    scale = .fp4(SmoothRounding.self, amax: max(-layout.lo[gi], layout.hi[gi]), alpha: alpha[gi], nvGlobal: nil)
                    maxCode = nil
                case let .nvfp4(global):
                    scale = .fp4(SmoothRounding.self, amax: max(-layout.lo[gi], layout.hi[gi]), alpha: alpha[gi], nvGlobal: global)
                    maxCode = nil
                }
                guard scale.scale != 0 else { continue }
                for c in (g * layout.groupSize)..<min(layout.cols, (g + 1) * layout.groupSize) {
                    let i = r * layout.cols + c
                    let x = w.data[i] / scale.scale + v[i]
                    let distance = maxCode.map { min(abs(x + scale.zero), abs(x + scale.zero - $0)) }
                        ?? abs(abs(x) - E2M1.maxValue)
                    if distance < 0.15 { v[i] += v[i] >= 0 ? 0.3 : -0.3 }
                }
            }
        }
    }

    /// Block MSE (Double) with every layer at its smooth Q.
    private func loss(_ s: Setup, _ params: [LinearKind: SignRoundParameters]) -> (Double, Matrix, LlamaBlockWeights) {
        let arch = s.arch
        var block = s.original
        for (kind, p) in params { block[kind] = p.quantized(s.original[kind], rounding: SmoothRounding.self) }
        var y = s.input
        arch.forwardBlock(weights: block, hidden: &y, sequenceLength: L)
        var sum = 0.0
        for i in y.data.indices { let e = Double(y.data[i]) - Double(s.target.data[i]); sum += e * e }
        var dY = y
        for i in dY.data.indices { dY.data[i] = 2 * (y.data[i] - s.target.data[i]) / Float(y.count) }
        return (sum / Double(y.count), dY, block)
    }

    /// Directional derivatives along random directions of V only, alpha only, beta only and all
    /// together: analytic (reverse pass + kernel) vs central differences, relative error < 1e-3.
    func testBlockGradientMatchesFiniteDifferences() throws {
        let s = try setup()
        let arch = s.arch
        let (_, dY, block) = loss(s, s.params)
        let grads = arch.backwardBlock(weights: block, input: s.input, sequenceLength: L, dOutput: dY, wanting: [.weight])
        var analytic: [LinearKind: (v: [Float], alpha: [Float], beta: [Float])] = [:]
        for (kind, p) in s.params {
            var copy = p
            analytic[kind] = copy.backward(s.original[kind], gradient: grads.layers[kind]!.weight!, learningRate: 0,
                                           rounding: SmoothRounding.self)
            XCTAssertEqual(copy.offsets, p.offsets, "learning rate 0 leaves the parameters")
        }
        var rng = SplitMix64(seed: 5)
        let cases = ["V", "alpha", "beta", "all"].map { ($0, Optional<LinearKind>.none) }
            + LinearKind.allCases.map { ("all", Optional($0)) }
        for (part, only) in cases {
            var direction: [LinearKind: (v: [Float], alpha: [Float], beta: [Float])] = [:]
            var expected = 0.0
            for kind in LinearKind.allCases {
                let p = s.params[kind]!
                let mine = only == nil || only == kind
                let useV = mine && (part == "V" || part == "all"), useA = mine && (part == "alpha" || part == "all")
                let useB = mine && (part == "beta" || part == "all") && p.layout.hasMinClip
                let dv = p.offsets.map { _ in useV ? rng.nextGaussian() : 0 }
                var da = p.maxClip.map { _ in useA ? rng.nextGaussian() : 0 }
                var db = p.minClip.map { _ in useB ? rng.nextGaussian() : 0 }
                // A symmetric int group's scale switches between -lo beta and -hi alpha (changing sign)
                // where the two meet: a jump of the format itself. Groups within 10% of it keep their clips.
                if case .int(_, true) = p.layout.scheme {
                    for g in da.indices {
                        let top = p.layout.hi[g] * p.maxClip[g], bottom = -p.layout.lo[g] * p.minClip[g]
                        if abs(top - bottom) < 0.1 * max(top, bottom) { da[g] = 0; db[g] = 0 }
                    }
                }
                direction[kind] = (dv, da, db)
                let g = analytic[kind]!
                for i in dv.indices { expected += Double(g.v[i]) * Double(dv[i]) }
                for i in da.indices { expected += Double(g.alpha[i]) * Double(da[i]) + Double(g.beta[i]) * Double(db[i]) }
            }
            // Central differences (error O(h^2), no kink crossed); h large enough that the Float
            // forward's rounding (~1e-6 of the loss) stays far below the differences.
            let h: Float = 3e-3
            func shifted(_ step: Float) -> [LinearKind: SignRoundParameters] {
                var out = s.params
                for (kind, d) in direction {
                    let p = s.params[kind]!
                    out[kind]!.set(offsets: zip(p.offsets, d.v).map { $0 + step * $1 },
                                   maxClip: zip(p.maxClip, d.alpha).map { $0 + step * $1 },
                                   minClip: zip(p.minClip, d.beta).map { $0 + step * $1 })
                }
                return out
            }
            func central(_ step: Float) -> Double {
                (loss(s, shifted(step)).0 - loss(s, shifted(-step)).0) / (2 * Double(step))
            }
            let numeric = central(h)
            let label = part + (only.map { " of \($0.rawValue)" } ?? "")
            XCTAssertGreaterThan(abs(expected), 1e-6, label)
            // Relative error < 1e-3; derivatives below 0.01 (a single small layer such as gate here) are
            // held to 1e-5 absolute, about twice the Float forward's rounding noise over 2h.
            XCTAssertLessThan(abs(numeric - expected) / max(abs(expected), 0.01), 1e-3,
                              "\(label): analytic \(expected), numeric \(numeric)")
        }
    }

    /// The Adam path steps on the same straight-through gradients: from fresh moments one Adam step
    /// moves every parameter by lr m_hat / sqrt(v_hat) = lr g / |g|, i.e. -lr sign(g) (clamps aside).
    /// Along that step the central difference of the smooth block MSE matches the analytic directional
    /// derivative (relative error < 1e-3) and is negative: the step goes downhill.
    func testAdamStepFollowsTheFiniteDifferenceGradient() throws {
        let s = try setup()
        let (_, dY, block) = loss(s, s.params)
        let grads = s.arch.backwardBlock(weights: block, input: s.input, sequenceLength: L, dOutput: dY, wanting: [.weight])
        let lr: Float = 1e-3
        var stepped = s.params, expected = 0.0
        for (kind, p) in s.params {
            var copy = p
            let g = copy.backward(s.original[kind], gradient: grads.layers[kind]!.weight!, learningRate: 0,
                                  rounding: SmoothRounding.self)
            var state = SignRoundAdamState(for: p)
            var q = p
            q.adamStep(weights: s.original[kind], gradient: grads.layers[kind]!.weight!, learningRate: lr,
                       state: &state, rounding: SmoothRounding.self)
            var a = q.maxClip, b = q.minClip
            // Symmetric int groups near the switch between -lo beta and -hi alpha keep their clips (a jump
            // of the format itself, as in the test above).
            if case .int(_, true) = p.layout.scheme {
                for i in a.indices {
                    let top = p.layout.hi[i] * p.maxClip[i], bottom = -p.layout.lo[i] * p.minClip[i]
                    if abs(top - bottom) < 0.1 * max(top, bottom) { a[i] = p.maxClip[i]; b[i] = p.minClip[i] }
                }
            }
            q.set(offsets: q.offsets, maxClip: a, minClip: b)
            for i in p.offsets.indices where g.v[i] != 0 {
                XCTAssertEqual(q.offsets[i] - p.offsets[i], -lr * (g.v[i] > 0 ? 1 : -1), accuracy: 1e-6, "\(kind) V[\(i)]")
            }
            for i in p.offsets.indices { expected += Double(g.v[i]) * Double(q.offsets[i] - p.offsets[i]) }
            for i in a.indices {
                expected += Double(g.alpha[i]) * Double(a[i] - p.maxClip[i]) + Double(g.beta[i]) * Double(b[i] - p.minClip[i])
            }
            stepped[kind] = q
        }
        func along(_ t: Float) -> [LinearKind: SignRoundParameters] {
            var out = s.params
            for (kind, p) in s.params {
                let q = stepped[kind]!
                out[kind]!.set(offsets: zip(p.offsets, q.offsets).map { $0 + t * ($1 - $0) },
                               maxClip: zip(p.maxClip, q.maxClip).map { $0 + t * ($1 - $0) },
                               minClip: zip(p.minClip, q.minClip).map { $0 + t * ($1 - $0) })
            }
            return out
        }
        let h: Float = 2
        let numeric = (loss(s, along(h)).0 - loss(s, along(-h)).0) / (2 * Double(h))
        XCTAssertLessThan(expected, 0, "the Adam step goes downhill")
        XCTAssertLessThan(abs(numeric - expected) / abs(expected), 1e-3, "analytic \(expected), numeric \(numeric)")
    }
}
