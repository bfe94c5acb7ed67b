import TensorCore
@testable import Formats
@testable import Quant
import TestSupport
import XCTest

/// SignRound's optimiser: one step by hand, never worse than round-to-nearest, deterministic,
/// parameters in range, typed errors.
final class SignRoundTests: XCTestCase {
    /// 2 x 4 weights, int2 asymmetric, group 4, H = I, T = 1, lr = 0.1.
    ///
    /// Row 0 [-0.5, 0.25, 0.6, 1]: lo -0.5, hi 1, s = 1.5 / 3 = 0.5, z = 1, w/s = [-1, 0.5, 1.2, 2]
    /// rounds (half to even) to [-1, 0, 1, 2], Q = [-0.5, 0, 0.5, 1], D = [0, -0.25, -0.1, 0].
    /// Row 1 [0.25, -0.5, 0.1, -0.4]: s = 0.75 / 3 = 0.25, z = 2, w/s = [1, -2, 0.4, -1.6] -> [1, -2, 0, -2],
    /// Q = [0.25, -0.5, 0, -0.5], D = [0, 0, -0.1, -0.1]. Loss = sum D^2 = 0.0925.
    /// dL/dQ = 2D; dL/dV = 2D s (no code clamps): row 0 [0, -0.25, -0.1, 0], row 1 [0, 0, -0.05, -0.05].
    /// dL/ds = sum 2D ((u - z) - w/s): row 0 0.25 + 0.04 = 0.29, row 1 0.08 + 0.08 = 0.16; dz/ds terms
    /// vanish (no clamps). dL/dalpha = dL/ds x hi / 3: 0.29 / 3, 0.16 x 0.25 / 3;
    /// dL/dbeta = dL/ds x (-lo) / 3: 0.29 x 0.5 / 3, 0.16 x 0.5 / 3.
    /// One step: V -= 0.1 sign(dL/dV) (zero gradient: no move), alpha, beta -= 0.1.
    func testOneStepComputedByHand() throws {
        let w = matrix([[-0.5, 0.25, 0.6, 1], [0.25, -0.5, 0.1, -0.4]])
        let format = intFormat(bits: 2, group: 4, symmetric: false)
        let layout = try XCTUnwrap(SignRoundLayout(format: format, weights: w))
        let identity = matrix([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        let objective = try LayerObjective(gram: identity, tokens: 1)
        let zeros = [Float](repeating: 0, count: 8), ones: [Float] = [1, 1]
        let q = kernelQ(NearestRounding.self, layout: layout, w: w, v: zeros, alpha: ones, beta: ones)
        XCTAssertEqual(q.data, [-0.5, 0, 0.5, 1, 0.25, -0.5, 0, -0.5])
        XCTAssertEqual(objective.loss(candidate: q, weights: w), 0.0925, accuracy: 1e-7)

        let g = kernelGradients(NearestRounding.self, layout: layout, w: w, objective: objective,
                                v: zeros, alpha: ones, beta: ones)
        let expectedV: [Float] = [0, -0.25, -0.1, 0, 0, 0, -0.05, -0.05]
        for i in 0..<8 { XCTAssertEqual(g.v[i], expectedV[i], accuracy: 1e-6, "dL/dV[\(i)]") }
        XCTAssertEqual(g.alpha[0], 0.29 / 3, accuracy: 1e-6)
        XCTAssertEqual(g.alpha[1], 0.16 * 0.25 / 3, accuracy: 1e-6)
        XCTAssertEqual(g.beta[0], 0.29 * 0.5 / 3, accuracy: 1e-6)
        XCTAssertEqual(g.beta[1], 0.16 * 0.5 / 3, accuracy: 1e-6)

        let result = try SignRound.optimize(weights: w, format: format, objective: objective,
                                            options: SignRoundOptions(iterations: 1, learningRate: 0.1))
        XCTAssertEqual(result.lossHistory.count, 2)
        XCTAssertEqual(result.rtnLoss, 0.0925, accuracy: 1e-7)
        // After the step: V = [0, .1, .1, 0, 0, 0, .1, .1], alpha = beta = 0.9 in both groups.
        let stepped = RoundingAdjustments(offsets: [0, 0.1, 0.1, 0, 0, 0, 0.1, 0.1], maxClip: [0.9, 0.9], minClip: [0.9, 0.9])
        let q1 = try format.quantizer.fakeQuantize(w, name: "w", adjustments: stepped)
        XCTAssertEqual(result.lossHistory[1], objective.loss(candidate: q1, weights: w), accuracy: 1e-7)
        if result.lossHistory[1] < result.rtnLoss {
            XCTAssertEqual(result.adjustments, stepped)
        } else {
            XCTAssertEqual(result.bestIteration, 0)
        }
    }

    func testKeptLossNeverAboveRoundToNearestAndUsuallyBelow() throws {
        let formats = [try QuantFormat(parsing: "int2/g32"), try QuantFormat(parsing: "int3a/g32"),
                       try QuantFormat(parsing: "int4/g128"), .mxfp4, .nvfp4]
        for (k, format) in formats.enumerated() {
            for quantizedInput in [false, true] {
                let (w, objective) = try correlatedLayer(seed: 50 + UInt64(k), quantizedInput: quantizedInput)
                let result = try SignRound.optimize(weights: w, format: format, objective: objective,
                                                    options: SignRoundOptions(iterations: 60))
                let label = "\(format.name) quantized input \(quantizedInput)"
                let rtn = objective.loss(candidate: try format.quantizer.fakeQuantize(w), weights: w)
                XCTAssertEqual(result.rtnLoss, rtn, accuracy: 1e-5 * rtn, label)
                XCTAssertEqual(result.lossHistory.count, 61, label)
                XCTAssertLessThanOrEqual(result.bestLoss, result.rtnLoss, label)
                // The history is on the half-precision step Gram, the kept loss on the exact one.
                XCTAssertEqual(result.bestLoss, result.lossHistory.min()!, accuracy: 1e-3 * rtn, label)
                XCTAssertEqual(objective.loss(candidate: result.weights, weights: w), result.bestLoss,
                               accuracy: 1e-5 * rtn, label)
                // Measured on these random layers at 60 iterations: int2 cuts 14-16%, int3 13%, int4 10-11%,
                // NVFP4 6%, MXFP4 3%. (Over 16 seeds at 100 iterations the half-precision step Gram and the
                // exact one cut the same on average: int2/g32 19.6% and 19.5%, int4/g32 10.0% both.)
                let factor = format.family == .int ? 0.93 : 0.985
                XCTAssertLessThan(result.bestLoss, factor * rtn, "\(label): SignRound should cut the error")
            }
        }
    }

    func testTwoRunsAreBitIdentical() throws {
        let (w, objective) = try correlatedLayer(seed: 77, quantizedInput: true)
        let options = SignRoundOptions(iterations: 40)
        let a = try SignRound.optimize(weights: w, format: .nvfp4, objective: objective, options: options)
        let b = try SignRound.optimize(weights: w, format: .nvfp4, objective: objective, options: options)
        assertBitIdentical(a.weights.data, b.weights.data, "weights")
        XCTAssertEqual(a.lossHistory, b.lossHistory)
        XCTAssertEqual(a.adjustments, b.adjustments)
    }

    func testParametersStayInRangeEvenWithLargeSteps() throws {
        let (w, objective) = try correlatedLayer(seed: 91, quantizedInput: false)
        for format in [try QuantFormat(parsing: "int3a/g32"), .mxfp4] {
            let result = try SignRound.optimize(weights: w, format: format, objective: objective,
                                                options: SignRoundOptions(iterations: 30, learningRate: 0.4))
            let a = try XCTUnwrap(result.adjustments)
            let v = try XCTUnwrap(a.offsets), alpha = try XCTUnwrap(a.maxClip)
            XCTAssertTrue(v.allSatisfy { $0 >= -0.5 && $0 <= 0.5 }, format.name)
            XCTAssertTrue(alpha.allSatisfy { $0 >= 0.5 && $0 <= 1 }, format.name)
            XCTAssertTrue(v.contains { abs($0) == 0.5 } || result.bestIteration < 2, "\(format.name): steps of 0.4 reach the V bound")
            if format.family == .int {
                XCTAssertTrue(try XCTUnwrap(a.minClip).allSatisfy { $0 >= 0.5 && $0 <= 1 })
            } else {
                XCTAssertNil(a.minClip)
            }
        }
    }

    func testFP8AndBF16AreRoundedToNearest() throws {
        let (w, objective) = try correlatedLayer(seed: 5, cols: 128, quantizedInput: false)
        for format in [QuantFormat.fp8, .bf16] {
            let result = try SignRound.optimize(weights: w, format: format, objective: objective)
            XCTAssertNil(result.adjustments)
            XCTAssertEqual(result.bestIteration, 0)
            assertBitIdentical(result.weights.data, try format.quantizer.fakeQuantize(w).data, format.name)
            XCTAssertEqual(result.bestLoss, result.rtnLoss)
        }
        XCTAssertFalse(SignRound.tunes(.fp8))
        XCTAssertTrue(SignRound.tunes(.nvfp4))
    }

    func testBadInputsThrowTypedErrors() throws {
        let w = gaussian(rows: 4, cols: 32, seed: 1)
        let objective = try LayerObjective(gram: Matrix(rows: 16, cols: 16), tokens: 8)
        XCTAssertThrowsError(try SignRound.optimize(weights: w, format: .mxfp4, objective: objective, name: "blk.0.q")) {
            XCTAssertEqual($0 as? SignRoundError, .gramShape(layer: "blk.0.q", expected: "32 x 32", actual: "16 x 16"))
            XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("blk.0.q") ?? false)
        }
        XCTAssertThrowsError(try LayerObjective(gram: Matrix(rows: 4, cols: 4), tokens: 0, layer: "L")) {
            XCTAssertEqual($0 as? SignRoundError, .noTokens(layer: "L"))
        }
        XCTAssertThrowsError(try LayerObjective(gram: Matrix(rows: 4, cols: 3), tokens: 2))
        let good = try LayerObjective(gram: Matrix(rows: 32, cols: 32), tokens: 8)
        XCTAssertThrowsError(try SignRound.optimize(weights: w, format: .mxfp4, objective: good,
                                                    options: SignRoundOptions(iterations: -1)))
        XCTAssertThrowsError(try SignRound.optimize(weights: w, format: .mxfp4, objective: good,
                                                    options: SignRoundOptions(learningRate: 0)))
        var bad = w
        bad[1, 2] = .nan
        XCTAssertThrowsError(try SignRound.optimize(weights: bad, format: .mxfp4, objective: good)) {
            guard case .nonFiniteWeight(_, 1, 2, _)? = $0 as? QuantError else { return XCTFail("\($0)") }
        }
    }
}
