import Foundation
import Model
import Formats
import TensorCore
import XCTest
@testable import Sensitivity

/// `delta-loss` and `fisher`: hand-computed values, naive recomputation from `ModelGradients`,
/// zero on exactly representable weights, and the profiler/CLI wiring.
final class GradientEstimatorTests: XCTestCase {
    let config = TinyProfileModel.config()
    private var formats: [QuantFormat] = []

    override func setUpWithError() throws {
        formats = try ProfilerOptions.parseFormats("int2/g32,int4/g32,bf16")
    }

    func windows(_ count: Int, length: Int = 12) -> [[Int]] {
        let t = TinyProfileModel.tokens(count * length, vocab: config.vocabSize, seed: 11)
        return (0..<count).map { Array(t[($0 * length)..<(($0 + 1) * length)]) }
    }

    var allLayers: [LayerID] {
        (0..<config.numHiddenLayers).flatMap { b in LinearKind.allCases.map { LayerID(block: b, kind: $0) } }
    }

    /// |1 x 0.1| + |-2 x 0.2| + |0.5 x -0.4| + |3 x 0| = 0.1 + 0.4 + 0.2 = 0.7.
    func testDeltaLossByHand() {
        let g = Matrix(rows: 2, cols: 2, data: [1, -2, 0.5, 3])
        let d = Matrix(rows: 2, cols: 2, data: [0.1, 0.2, -0.4, 0])
        XCTAssertEqual(GradientScore.deltaLoss(gradient: g, delta: d), 0.7, accuracy: 1e-6)
    }

    /// E = X D^T = [1 x 0.5 + 2 x -1, 3 x 0.5 - 1 x -1] = [-1.5, 2.5]; dY = [2, -1]:
    /// 4 x 2.25 + 1 x 6.25 = 15.25.
    func testFisherByHand() {
        let x = Matrix(rows: 2, cols: 2, data: [1, 2, 3, -1])
        let d = Matrix(rows: 1, cols: 2, data: [0.5, -1])
        let dy = Matrix(rows: 2, cols: 1, data: [2, -1])
        var scratch: [Float] = []
        XCTAssertEqual(GradientScore.fisher(outputGradient: dy, input: x, delta: d, scratch: &scratch), 15.25, accuracy: 1e-5)
    }

    /// delta-loss over 2 batches of 2 windows equals sum_b sum |dW_b (Q(W) - W)| computed in Double
    /// from each batch's dW delivered by `ModelGradients`; one batch of 4 uses the full gradient.
    func testDeltaLossEqualsNaiveSumOverBatchGradients() throws {
        let model = try TinyProfileModel.model(config, tensors: TinyProfileModel.tensors(config))
        let w = windows(4)
        let scores = try GradientScorer(model: model, formats: formats)
            .score(ids: allLayers, windows: w, batchSize: 2, estimators: [.deltaLoss])
        let table = try XCTUnwrap(scores.deltaLoss)
        XCTAssertNil(scores.fisher)
        let whole = try XCTUnwrap(GradientScorer(model: model, formats: formats)
            .score(ids: allLayers, windows: w, batchSize: 4, estimators: [.deltaLoss]).deltaLoss)
        for (batch, scores) in [(2, table), (4, whole)] {
            var grads: [LayerID: [Matrix]] = [:]
            _ = try ModelGradients.compute(model: model, windows: w, wanting: [.weight], batchSize: batch) { id, g in
                grads[id, default: []].append(g.weight!)
            }
            for (l, id) in allLayers.enumerated() {
                let weight = try model.loadBlock(id.block)[id.kind]
                XCTAssertEqual(grads[id]?.count, 4 / batch)
                for (f, format) in formats.enumerated() {
                    let q = try format.quantizer.fakeQuantize(weight)
                    var naive = 0.0
                    for g in grads[id] ?? [] {
                        for i in 0..<weight.count { naive += abs(Double(g.data[i]) * (Double(q.data[i]) - Double(weight.data[i]))) }
                    }
                    XCTAssertEqual(scores[l][f], naive, accuracy: 1e-4 * naive + 1e-12, "\(id.weightName) \(format.name)")
                }
                XCTAssertGreaterThan(scores[l][0], scores[l][1], "int2 moves \(id.weightName) more than int4")
            }
        }
        for l in allLayers.indices { XCTAssertGreaterThanOrEqual(table[l][0], whole[l][0] * (1 - 1e-5), "|a| + |b| >= |a + b|") }
    }

    /// fisher equals a naive loop over tokens and outputs of dY^2 (sum_i X_ti D_oi)^2 on dY and X
    /// delivered per window, and does not depend on the batch size.
    func testFisherEqualsNaiveLoopAndIgnoresBatching() throws {
        let model = try TinyProfileModel.model(config, tensors: TinyProfileModel.tensors(config))
        let w = windows(3)
        let scorer = GradientScorer(model: model, formats: formats)
        let batched = try XCTUnwrap(scorer.score(ids: allLayers, windows: w, batchSize: 2, estimators: [.fisher]).fisher)
        let whole = try XCTUnwrap(scorer.score(ids: allLayers, windows: w, batchSize: 3, estimators: [.fisher]).fisher)
        var naive = [[Double]](repeating: [Double](repeating: 0, count: formats.count), count: allLayers.count)
        let index = Dictionary(uniqueKeysWithValues: allLayers.enumerated().map { ($1, $0) })
        var failure: Error?
        _ = try ModelGradients.compute(model: model, windows: w, wanting: [.outputGradient, .input], batchSize: 1) { id, g in
            do {
                let weight = try model.loadBlock(id.block)[id.kind]
                let dy = g.outputGradient!, x = g.input!
                for (f, format) in formats.enumerated() {
                    let q = try format.quantizer.fakeQuantize(weight)
                    for t in 0..<x.rows {
                        for o in 0..<weight.rows {
                            var e = 0.0
                            for i in 0..<weight.cols {
                                e += Double(x[t, i]) * (Double(q[o, i]) - Double(weight[o, i]))
                            }
                            let gy = Double(dy[t, o])
                            naive[index[id]!][f] += gy * gy * e * e
                        }
                    }
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        for l in allLayers.indices {
            for f in formats.indices {
                XCTAssertEqual(batched[l][f], naive[l][f], accuracy: 1e-3 * naive[l][f] + 1e-20, "\(allLayers[l].weightName)")
                XCTAssertEqual(whole[l][f], naive[l][f], accuracy: 1e-3 * naive[l][f] + 1e-20)
            }
            XCTAssertGreaterThan(naive[l][0], 0)
        }
    }

    /// Weights already on the bf16 grid: bf16 moves nothing, so both scores are exactly 0 there and
    /// positive for int2.
    func testBothZeroForBF16ExactWeights() throws {
        var tensors = TinyProfileModel.tensors(config)
        let original = try TinyProfileModel.model(config, tensors: tensors)
        for id in allLayers {
            tensors.set(id.weightName, try QuantFormat.bf16.quantizer.fakeQuantize(try original.loadBlock(id.block)[id.kind]))
        }
        let model = try TinyProfileModel.model(config, tensors: tensors)
        let s = try GradientScorer(model: model, formats: formats)
            .score(ids: allLayers, windows: windows(2), batchSize: 2, estimators: [.deltaLoss, .fisher])
        for table in [try XCTUnwrap(s.deltaLoss), try XCTUnwrap(s.fisher)] {
            for row in table {
                XCTAssertEqual(row[2], 0)
                XCTAssertGreaterThan(row[0], 0)
            }
        }
        XCTAssertEqual(s.predictedTokens, 2 * 11)
        XCTAssertTrue(s.loss.isFinite && s.loss > 0)
    }

    func testEstimatorNamesParseAndDescribeUnits() {
        XCTAssertEqual(SensitivityEstimator.allCases.map(\.rawValue), ["output-error", "calibrated", "kl", "delta-loss", "fisher", "fisher-kl"])
        XCTAssertEqual(SensitivityEstimator(rawValue: "delta-loss"), .deltaLoss)
        XCTAssertEqual(SensitivityEstimator(rawValue: "fisher"), .fisher)
        XCTAssertFalse(SensitivityEstimator.deltaLoss.isModelLoss)
        XCTAssertFalse(SensitivityEstimator.fisher.isModelLoss)
        XCTAssertTrue(SensitivityEstimator.fisher.summary.contains("not in nats"))
    }

    /// Gradient windows are a prefix of the calibration windows: capped at their count, at least 1.
    func testGradientWindowOptions() throws {
        var o = ProfilerOptions(sampleCount: 3)
        XCTAssertEqual(o.gradientWindowCount, 3)
        o.gradientWindows = 2
        XCTAssertEqual(o.gradientWindowCount, 2)
        XCTAssertNoThrow(try o.validate())
        o.gradientWindows = 0
        XCTAssertThrowsError(try o.validate()) { error in
            XCTAssertEqual(error as? ProfilerError, .invalidOption(name: "--gradient-windows", value: "0", expected: "at least 1"))
        }
        o.gradientWindows = 2
        o.gradientBatchSize = 0
        XCTAssertThrowsError(try o.validate())
    }

    /// The profiler with `fisher`: scores are fisher's (finite, >= 0), unit named, output-error kept,
    /// no probes run.
    func testProfilerWithFisher() throws {
        let tensors = TinyProfileModel.tensors(config)
        let model = try TinyProfileModel.model(config, tensors: tensors)
        var options = ProfilerOptions(formats: formats, estimator: .fisher, sampleCount: 4, sequenceLength: 16, seed: 5)
        options.gradientWindows = 2
        options.gradientBatchSize = 1
        let result = try SensitivityProfiler(model: model, options: options)
            .run(tokens: TinyProfileModel.tokens(200, vocab: 50), identity: TinyProfileModel.identity(config, tensors),
                 calibrationFile: "t", calibrationSHA256: "0")
        XCTAssertEqual(Set(result.scores.keys), [.outputError, .fisher])
        XCTAssertEqual(result.profile.estimator, "fisher")
        XCTAssertEqual(result.profile.profiler?.scoreUnit, "fisher")
        XCTAssertTrue(result.probes.isEmpty)
        let fisher = try XCTUnwrap(result.scores[.fisher])
        for (l, layer) in result.profile.layers.enumerated() {
            for (f, c) in layer.candidates.enumerated() {
                XCTAssertEqual(c.score, fisher[l][f])
                XCTAssertTrue(c.score.isFinite && c.score >= 0)
            }
        }
    }
}
