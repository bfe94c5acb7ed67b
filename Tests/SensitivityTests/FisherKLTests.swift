import Foundation
@testable import Model
import Formats
import TensorCore
import XCTest
@testable import Sensitivity

/// `fisher-kl`: drawn labels by hand, the per-token projection by hand, independence of batching,
/// and agreement with the measured KL where the estimate has no cross-token terms to drop.
final class FisherKLTests: XCTestCase {
    let config = TinyProfileModel.config()

    func windows(_ count: Int, length: Int = 12, seed: UInt64 = 11) -> [[Int]] {
        let t = TinyProfileModel.tokens(count * length, vocab: config.vocabSize, seed: seed)
        return (0..<count).map { Array(t[($0 * length)..<(($0 + 1) * length)]) }
    }

    /// Logits ln 1, ln 2, ln 3: softmax 1/6, 2/6, 3/6, cumulative 1/6, 1/2, 1. u = 0.1 draws 0,
    /// 0.4 draws 1, 0.9 draws 2; the row becomes scale x (p - onehot(label)); the returned loss is the
    /// text target's NLL, -ln(1/6) = ln 6, whatever is drawn.
    func testDrawnLabelByHand() {
        for (u, label) in [(Float(0.1), 0), (0.4, 1), (0.9, 2)] {
            var row: [Float] = [0, log(2), log(3)]
            let loss = row.withUnsafeMutableBufferPointer {
                LlamaArchitecture.softmaxGradient($0.baseAddress!, count: 3, target: 0, draw: u, scale: 2)
            }
            XCTAssertEqual(loss, log(6), accuracy: 1e-6)
            let p: [Float] = [1.0 / 6, 2.0 / 6, 3.0 / 6]
            for j in 0..<3 {
                XCTAssertEqual(row[j], 2 * (p[j] - (j == label ? 1 : 0)), accuracy: 1e-6, "u \(u) entry \(j)")
            }
        }
    }

    /// X = [[1, 2], [3, -1]], D = [[0.5, -1], [1, 0]]: E = X D^T = [[-1.5, 1], [2.5, 3]];
    /// dY = [[2, 1], [-1, 2]]: per-token dots -2 and 3.5, squares 4 + 12.25 = 16.25; the output's
    /// squares 2.25 + 1 + 6.25 + 9 = 18.5 (the diagonal `fisher` of the same inputs is
    /// 9 + 1 + 6.25 + 36 = 52.25).
    func testProjectedFisherByHand() {
        let x = Matrix(rows: 2, cols: 2, data: [1, 2, 3, -1])
        let d = Matrix(rows: 2, cols: 2, data: [0.5, -1, 1, 0])
        let dy = Matrix(rows: 2, cols: 2, data: [2, 1, -1, 2])
        var scratch: [Float] = []
        let got = GradientScore.projectedFisher(outputGradient: dy, input: x, delta: d, scratch: &scratch)
        XCTAssertEqual(got.projected, 16.25, accuracy: 1e-5)
        XCTAssertEqual(got.outputSquared, 18.5, accuracy: 1e-5)
        XCTAssertEqual(GradientScore.fisher(outputGradient: dy, input: x, delta: d, scratch: &scratch), 52.25, accuracy: 1e-5)
    }

    /// Draws are keyed by position in the call, so batches of 1, 2 and 4 windows give the same scores;
    /// another seed draws other labels and gives other scores.
    func testScoresDoNotDependOnBatchingButOnTheSeed() throws {
        let model = try TinyProfileModel.model(config, tensors: TinyProfileModel.tensors(config))
        let formats = try ProfilerOptions.parseFormats("int2/g32,int4/g32")
        let ids = [LayerID(block: 0, kind: .q), LayerID(block: 1, kind: .down)]
        let w = windows(4)
        func scores(_ batch: Int, seed: UInt64 = 42) throws -> [[Double]] {
            try XCTUnwrap(GradientScorer(model: model, formats: formats, seed: seed)
                .score(ids: ids, windows: w, batchSize: batch, estimators: [.fisherKL]).fisherKL)
        }
        let whole = try scores(4)
        for batch in [1, 2] {
            let s = try scores(batch)
            for l in ids.indices { for f in formats.indices {
                XCTAssertEqual(s[l][f], whole[l][f], accuracy: 1e-4 * whole[l][f], "batch \(batch) \(ids[l].weightName)")
            } }
        }
        let other = try scores(4, seed: 7)
        XCTAssertGreaterThan(abs(other[1][0] / whole[1][0] - 1), 1e-3)
        for l in ids.indices { XCTAssertGreaterThan(whole[l][0], whole[l][1], "int2 costs more than int4") }
    }

    /// The last block's down projection changes only its own token's residual, so the estimate drops
    /// nothing there: on 64 windows x 12 tokens, with int2's error scaled by 1/4 (second-order regime),
    /// the score is within 15% of the KL measured by replaying the model (sampling noise about
    /// sqrt(2 / 768) = 5%).
    func testMatchesMeasuredKLOnTheLastDownProjection() throws {
        let tensors = TinyProfileModel.tensors(config)
        let model = try TinyProfileModel.model(config, tensors: tensors)
        let id = LayerID(block: config.numHiddenLayers - 1, kind: .down)
        let weight = try model.loadBlock(id.block)[id.kind]
        let q = try QuantFormat(parsing: "int2/g32").quantizer.fakeQuantize(weight)
        var perturbed = weight
        for i in 0..<weight.count { perturbed.data[i] += 0.25 * (q.data[i] - weight.data[i]) }
        let delta = OutputError.delta(perturbed, weight)
        let w = windows(64)
        let measured = try LayerReplay(model: model, windows: w).meanKL(replacing: [id: perturbed])
        func estimate(_ labels: GradientLabels) throws -> Double {
            var total = 0.0, scratch: [Float] = []
            _ = try ModelGradients.compute(model: model, windows: w, wanting: [.outputGradient, .input],
                                           batchSize: 16, labels: labels) { got, g in
                guard got == id else { return }
                total += GradientScore.projectedFisher(outputGradient: g.outputGradient!, input: g.input!,
                                                       delta: delta, scratch: &scratch).projected
            }
            return total / Double(2 * w.count * w[0].count)
        }
        let sampled = try estimate(.sampled(seed: 42))
        XCTAssertGreaterThan(measured, 1e-4)
        XCTAssertEqual(sampled / measured, 1, accuracy: 0.15, "fisher-kl \(sampled) against measured \(measured)")
    }
}
