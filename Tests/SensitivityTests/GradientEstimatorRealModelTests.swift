import XCTest
@testable import Model
import Formats
import TensorCore
@testable import Sensitivity

/// `delta-loss` and `fisher` on the cached SmolLM2-135M-Instruct (release mode; skipped when the
/// cache is absent), on two layers chosen by kind and depth: the first block's q projection and the
/// last block's down projection, over two 128-token windows of lcet10.txt in one batch.
final class GradientEstimatorRealModelTests: XCTestCase {
    let ids = [LayerID(block: 0, kind: .q), LayerID(block: 29, kind: .down)]

    private func setUpModel() throws -> (LlamaModel, [[Int]]) {
        let cache = ProcessInfo.processInfo.environment["AUTOSCHEME_CACHE"] ?? NSHomeDirectory() + "/.cache/autoscheme"
        let modelPath = cache + "/SmolLM2-135M-Instruct.Q4_1.gguf", textPath = cache + "/lcet10.txt"
        for path in [modelPath, textPath] where !FileManager.default.fileExists(atPath: path) {
            throw XCTSkip("\(path) not cached")
        }
        let description = try ModelLoader.open(modelPath)
        let model = try LlamaModel(config: description.config, source: description.tensors, ropeLayout: description.ropeLayout)
        let tokens = try Tokenizer(model: description).encode(try Tokenizer.loadText(URL(fileURLWithPath: textPath)),
                                                              addSpecialTokens: false)
        let split = try CalibrationSplit(tokens: tokens, calibration: 2, heldOut: 0, length: 128, seed: 42, file: "lcet10.txt")
        return (model, split.calibration)
    }

    /// Mean NLL of the windows' next tokens (predictions 0..<L-1 of each window) with `replacing` applied,
    /// from the replayed logits: a forward computation independent of the reverse pass.
    private func loss(_ replay: LayerReplay, windows: [[Int]], replacing: [LayerID: Matrix]) throws -> Double {
        let logits = try replay.logits(replacing: replacing)
        let L = replay.sequenceLength, vocab = logits.cols
        var total = 0.0
        logits.data.withUnsafeBufferPointer { p in
            for (s, window) in windows.enumerated() {
                for i in 0..<(L - 1) {
                    let row = s * L + i
                    total += Divergence.negativeLogLikelihood(UnsafeBufferPointer(rebasing: p[(row * vocab)..<((row + 1) * vocab)]),
                                                              target: window[i + 1])
                }
            }
        }
        return total / Double(windows.count * (L - 1))
    }

    /// - delta-loss (one batch) is sum |G| |D| with G = dL/dW, D = Q_f(W) - W: the directional derivative
    ///   of the loss along sign(G) |D|. A central difference of the forward loss along that direction
    ///   (step of Frobenius norm 1e-2) equals the scorer's delta-loss within 2% for int4 and int8
    ///   (measured: 0.45% and 0.7% on q, 0.01% on down; a transposed or misplaced error, a wrong layer
    ///   or a wrong loss scale would miss by far).
    /// - fisher is (1/T^2) sum_t sum_o (dl_t/dy_to)^2 dy_to^2 for the mean loss over T predicted tokens;
    ///   T fisher / 2 is the diagonal empirical-Fisher estimate of the mean KL, so it must agree with the
    ///   measured KL on the same windows: within a factor of 8 for int2, int3, int4 (measured: 1.08-1.33
    ///   on block 29's down; 3.0-5.7 on block 0's q, where the empirical Fisher of the true next tokens
    ///   overstates the model's own). A fisher without the square, without 1/T^2 (T = 254) or with
    ///   tokens misaligned would be off by orders of magnitude.
    /// - Both: int2 > int3 > int4 > int8 > bf16 >= 0.
    func testDeltaLossIsADirectionalDerivativeAndFisherEstimatesKL() throws {
        #if DEBUG
        throw XCTSkip("runs the real model; release builds only")
        #else
        let (model, windows) = try setUpModel()
        let formats = try ProfilerOptions.parseFormats("int2/g128,int3/g128,int4/g128,int8/g128,bf16")
        let scorer = GradientScorer(model: model, formats: formats)
        let scores = try scorer.score(ids: ids, windows: windows, batchSize: 2, estimators: [.deltaLoss, .fisher])
        let delta = try XCTUnwrap(scores.deltaLoss), fisher = try XCTUnwrap(scores.fisher)
        XCTAssertEqual(scores.predictedTokens, 2 * 127)
        var gradients: [LayerID: Matrix] = [:]
        _ = try ModelGradients.compute(model: model, windows: windows, wanting: [.weight], batchSize: 2) { id, g in
            if self.ids.contains(id) { gradients[id] = g.weight! }
        }
        let replay = try LayerReplay(model: model, windows: windows)
        let T = Double(scores.predictedTokens)
        for (l, id) in ids.enumerated() {
            let weight = try model.loadBlock(id.block)[id.kind]
            for f in 0..<4 {
                XCTAssertGreaterThan(delta[l][f], delta[l][f + 1], "\(id) delta-loss \(delta[l])")
                XCTAssertGreaterThan(fisher[l][f], fisher[l][f + 1], "\(id) fisher \(fisher[l])")
            }
            XCTAssertGreaterThanOrEqual(fisher[l][4], 0)
            let g = try XCTUnwrap(gradients[id])
            for f in [2, 3] {
                let q = try formats[f].quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil)
                var direction = OutputError.delta(q, weight)
                for i in 0..<direction.count { direction.data[i] = abs(direction.data[i]) * (g.data[i] < 0 ? -1 : 1) }
                let norm = direction.squaredNorm.squareRoot()
                let step = 1e-2 / norm
                var values: [Double] = []
                for sign in [1.0, -1.0] {
                    var w = weight
                    for i in 0..<w.count { w.data[i] += Float(sign * step) * direction.data[i] }
                    values.append(try loss(replay, windows: windows, replacing: [id: w]))
                }
                let derivative = (values[0] - values[1]) / (2 * step)
                print("\(id) \(formats[f].name): delta-loss \(delta[l][f]), central difference \(derivative)")
                XCTAssertEqual(derivative, delta[l][f], accuracy: 2e-2 * delta[l][f], "\(id) \(formats[f].name)")
            }
            for f in 0..<3 {
                let q = try formats[f].quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil)
                let kl = try replay.meanKL(replacing: [id: q])
                let estimate = T * fisher[l][f] / 2
                print("\(id) \(formats[f].name): kl \(kl), T fisher / 2 \(estimate), ratio \(estimate / kl)")
                XCTAssertTrue(estimate > kl / 8 && estimate < 8 * kl, "\(id) \(formats[f].name): T fisher/2 \(estimate) vs kl \(kl)")
            }
        }
        #endif
    }

    /// fisher-kl on the same two layers and windows is the mean KL's quadratic term with labels drawn
    /// from the model, so it must be close to the KL measured by replay for int2, int3 and int4 where
    /// the empirical Fisher above misses by up to 5.7x: within 1.6x on both layers (q's changes couple
    /// tokens through attention, which the per-token sum drops; the down projection's do not). One
    /// half too many or too few, the text's labels, or a per-output diagonal would leave the band.
    func testFisherKLEstimatesMeasuredKL() throws {
        #if DEBUG
        throw XCTSkip("runs the real model; release builds only")
        #else
        let (model, windows) = try setUpModel()
        let formats = try ProfilerOptions.parseFormats("int2/g128,int3/g128,int4/g128,bf16")
        let scores = try XCTUnwrap(GradientScorer(model: model, formats: formats)
            .score(ids: ids, windows: windows, batchSize: 2, estimators: [.fisherKL]).fisherKL)
        let replay = try LayerReplay(model: model, windows: windows)
        for (l, id) in ids.enumerated() {
            let weight = try model.loadBlock(id.block)[id.kind]
            for f in 0..<3 {
                XCTAssertGreaterThan(scores[l][f], scores[l][f + 1], "\(id) \(scores[l])")
                let q = try formats[f].quantizer.fakeQuantize(weight, name: id.weightName, adjustments: nil)
                let kl = try replay.meanKL(replacing: [id: q])
                print("\(id) \(formats[f].name): kl \(kl), fisher-kl \(scores[l][f]), ratio \(scores[l][f] / kl)")
                XCTAssertTrue(scores[l][f] > kl / 1.6 && scores[l][f] < 1.6 * kl, "\(id) \(formats[f].name): fisher-kl \(scores[l][f]) vs kl \(kl)")
            }
        }
        #endif
    }
}
