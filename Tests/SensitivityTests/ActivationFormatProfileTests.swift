import XCTest
import Model
import Formats
import TensorCore
@testable import Sensitivity

/// Activation formats (W4A4, W8A8) in the profiler: their scores measure Q(X) Q(W)^T against X W^T,
/// their static scales come from the inputs' maximum, and layers that cannot take them have no
/// such candidate.
final class ActivationFormatProfileTests: XCTestCase {
    let config = TinyProfileModel.config()
    lazy var tensors = TinyProfileModel.tensors(config)

    func windows(_ count: Int, length: Int = 16) -> [[Int]] {
        let t = TinyProfileModel.tokens(count * length, vocab: config.vocabSize, seed: 21)
        return (0..<count).map { Array(t[($0 * length)..<(($0 + 1) * length)]) }
    }

    /// NVFP4's global scale is 2688 * fl(1/amax) of the layer's site input over the windows, amax
    /// taken here by an independent forward; MXFP4 and FP8 take none; q/k/v share one.
    func testStaticScaleComesFromTheInputMaximum() throws {
        let model = try TinyProfileModel.model(config, tensors: tensors)
        let w = windows(3)
        let ids = [LayerID(block: 1, kind: .q), LayerID(block: 1, kind: .v), LayerID(block: 1, kind: .down)]
        let formats: [QuantFormat] = [.nvfp4, .nvfp4A4, .mxfp4A4, .fp8A8]
        let table = try ProfileInputQuantizers.make(model: model, formats: formats, ids: ids, windows: w)
        var hidden = try model.architecture.embed(w.flatMap { $0 }, head: try model.loadHead())
        var amax: [LinearInputSite: Float] = [:]
        for b in 0..<2 {
            model.forwardBlock(index: b, weights: try model.loadBlock(b), hidden: &hidden, sequenceLength: 16, observer: { site, x, _, _ in
                if b == 1 { amax[site] = max(amax[site] ?? 0, x.map(\.magnitude).max()!) }
            })
        }
        XCTAssertGreaterThan(amax[.attentionInput]!, 0.1)
        XCTAssertNil(table.quantizer(ids[0], 0))
        XCTAssertEqual(table.quantizer(ids[0], 1), .nvfp4(inputGlobalScale: 2688 * (1 / amax[.attentionInput]!)))
        XCTAssertEqual(table.quantizer(ids[1], 1), table.quantizer(ids[0], 1))
        XCTAssertEqual(table.quantizer(ids[2], 1), .nvfp4(inputGlobalScale: 2688 * (1 / amax[.mlpHidden]!)))
        XCTAssertEqual(table.quantizer(ids[2], 2), .mxfp4)
        // 32 and 64 inputs are not whole groups of 128: no fp8 activations anywhere.
        XCTAssertNil(table.quantizer(ids[0], 3))
        XCTAssertNil(table.quantizer(ids[2], 3))
    }

    /// fisher-kl of an activation format is sum_t (g_t . E_t)^2 with E = Q(X) Q(W)^T - X W^T,
    /// computed here with two plain products; the weight-only format's E is X (Q(W) - W)^T.
    func testFisherKLScoresTheQuantizedProduct() throws {
        let model = try TinyProfileModel.model(config, tensors: tensors)
        let id = LayerID(block: 0, kind: .gate)
        var scorer = GradientScorer(model: model, formats: [.nvfp4, .nvfp4A4, .mxfp4A4])
        let q = ActivationQuantizer.nvfp4(inputGlobalScale: 700)
        scorer.inputQuantizers = ProfileInputQuantizers(table: [id: [nil, q, .mxfp4]])
        let weight = try model.loadBlock(0)[.gate]
        var rng = SplitMix64(seed: 9)
        let tokens = 20
        let x = Matrix(rows: tokens, cols: weight.cols, data: (0..<(tokens * weight.cols)).map { _ in rng.nextUnitFloat() * 4 - 2 })
        let dY = Matrix(rows: tokens, cols: weight.rows, data: (0..<(tokens * weight.rows)).map { _ in rng.nextUnitFloat() - 0.5 })
        let row = scorer.fisherKLRow(try scorer.changes(id, weight: weight), outputGradient: dY, input: x)

        func expected(_ input: ActivationQuantizer?, _ format: QuantFormat) throws -> (Double, Double) {
            let qw = try format.quantizer.fakeQuantize(weight, name: "w", adjustments: nil)
            var qx = x
            if let input { try input.fakeQuantize(&qx, name: "x") }
            var projected = 0.0, squared = 0.0
            for t in 0..<tokens {
                var dot = 0.0
                for o in 0..<weight.rows {
                    var e = 0.0
                    for i in 0..<weight.cols {
                        e += Double(qx[t, i]) * Double(qw[o, i]) - Double(x[t, i]) * Double(weight[o, i])
                    }
                    dot += Double(dY[t, o]) * e
                    squared += e * e
                }
                projected += dot * dot
            }
            return (projected, squared)
        }
        for (f, input) in [(0, nil), (1, q), (2, ActivationQuantizer.mxfp4)] as [(Int, ActivationQuantizer?)] {
            let (p, s) = try expected(input, scorer.formats[f])
            XCTAssertEqual(row[f].projected, p, accuracy: 1e-3 * p, "format \(scorer.formats[f].name)")
            XCTAssertEqual(row[f].outputSquared, s, accuracy: 1e-3 * s, "format \(scorer.formats[f].name)")
        }
        // Quantized inputs add error on top of the weights'.
        XCTAssertGreaterThan(row[1].outputSquared, 1.5 * row[0].outputSquared)
        // A layer without a quantizer for an activation format scores 0 there (no candidate).
        scorer.inputQuantizers = ProfileInputQuantizers(table: [id: [nil, nil, nil]])
        let none = scorer.fisherKLRow(try scorer.changes(id, weight: weight), outputGradient: dY, input: x)
        XCTAssertEqual(none[1].projected, 0)
        XCTAssertEqual(none[0].projected, row[0].projected)
    }

    /// A profile over formats some layers cannot group leaves those candidates out, reads back,
    /// and refuses estimators that cannot see Q(X).
    func testProfileLeavesOutActivationFormatsALayerCannotTake() throws {
        let formats: [QuantFormat] = [try .int(bits: 4, groupSize: 32), .nvfp4A4, .fp8A8, .bf16]
        var options = ProfilerOptions(formats: formats, estimator: .fisherKL, sampleCount: 4, sequenceLength: 16, seed: 5)
        let tokens = TinyProfileModel.tokens(200, vocab: config.vocabSize)
        let result = try SensitivityProfiler(model: try TinyProfileModel.model(config, tensors: tensors), options: options)
            .run(tokens: tokens, identity: TinyProfileModel.identity(config, tensors), calibrationFile: "tiny.txt", calibrationSHA256: "00")
        for layer in result.profile.layers {
            XCTAssertEqual(layer.candidates.map(\.format), [formats[0], .nvfp4A4, .bf16], layer.name)
            XCTAssertGreaterThan(layer.candidate(.nvfp4A4)!.score, 0, layer.name)
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("act-profile-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try result.profile.write(to: url)
        XCTAssertEqual(try SensitivityProfile.load(from: url).layers.map(\.candidates.count), result.profile.layers.map { _ in 3 })

        options.estimator = .deltaLoss
        XCTAssertThrowsError(try options.validate()) { error in
            XCTAssertTrue(error.localizedDescription.contains("nvfp4-a4"), error.localizedDescription)
        }
    }

    /// `calibrated` measures an activation format's output error with Q(X) on the capture's raw inputs
    /// (q/k/v at their block's output) and scales it by the layer's gain: finite, and above the
    /// weights-only twin's on every layer.
    func testCalibratedScoresActivationFormats() throws {
        let formats: [QuantFormat] = [try .int(bits: 4, groupSize: 32), .nvfp4, .nvfp4A4, .bf16]
        let options = ProfilerOptions(formats: formats, estimator: .calibrated, sampleCount: 4, sequenceLength: 16, seed: 5,
                                      probeWindows: 2, probeLength: 16, probeFormat: try .int(bits: 3, groupSize: 32))
        let tokens = TinyProfileModel.tokens(200, vocab: config.vocabSize)
        let result = try SensitivityProfiler(model: try TinyProfileModel.model(config, tensors: tensors), options: options)
            .run(tokens: tokens, identity: TinyProfileModel.identity(config, tensors), calibrationFile: "tiny.txt", calibrationSHA256: "00")
        for layer in result.profile.layers {
            let act = try XCTUnwrap(layer.candidate(.nvfp4A4)?.score), plain = try XCTUnwrap(layer.candidate(.nvfp4)?.score)
            XCTAssertTrue(act.isFinite && act > plain, "\(layer.name): \(act) vs \(plain)")
        }
    }

    /// ||Q(X) Q(W)^T - X W^T||^2 / tokens by plain loops.
    func testActivatedOutputErrorByHand() throws {
        var rng = SplitMix64(seed: 4)
        let w = Matrix(rows: 3, cols: 32, data: (0..<96).map { _ in rng.nextUnitFloat() - 0.5 })
        let qw = try QuantFormat.mxfp4.quantizer.fakeQuantize(w, name: "w", adjustments: nil)
        let x = Matrix(rows: 5, cols: 32, data: (0..<160).map { _ in rng.nextUnitFloat() * 6 - 3 })
        var qx = x
        try ActivationQuantizer.mxfp4.fakeQuantize(&qx, name: "x")
        var expected = 0.0
        for t in 0..<5 { for o in 0..<3 {
            var e = 0.0
            for i in 0..<32 { e += Double(qx[t, i]) * Double(qw[o, i]) - Double(x[t, i]) * Double(w[o, i]) }
            expected += e * e
        } }
        XCTAssertEqual(OutputError.activated(weight: w, quantized: qw, input: x, quantizer: .mxfp4), expected / 5, accuracy: 1e-4 * expected)
    }
}
