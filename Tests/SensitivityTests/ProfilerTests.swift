import XCTest
import Model
import Formats
import TensorCore
@testable import Sensitivity

/// The profiler on a tiny random model, checked against independent computations.
final class ProfilerTests: XCTestCase {
    private let config = TinyProfileModel.config()
    private lazy var tensors = TinyProfileModel.tensors(config)
    private lazy var tokens = TinyProfileModel.tokens(400, vocab: config.vocabSize)
    private var formats: [QuantFormat] = []

    override func setUpWithError() throws {
        formats = try ProfilerOptions.parseFormats("int2/g32,int4/g32,mxfp4,nvfp4")
    }

    private func options(_ estimator: SensitivityEstimator, probe: String = "int3/g32", layers: String? = nil,
                         validate: Int = 0) throws -> ProfilerOptions {
        ProfilerOptions(formats: formats, estimator: estimator, sampleCount: 6, sequenceLength: 24, seed: 5,
                        probeWindows: 2, probeLength: 16, probeFormat: try QuantFormat(parsing: probe),
                        layerPattern: layers, validationPlans: validate, validationWindows: 2, validationBits: 2.5...4.5)
    }

    private func run(_ options: ProfilerOptions) throws -> ProfilerResult {
        let model = try TinyProfileModel.model(config, tensors: tensors)
        return try SensitivityProfiler(model: model, options: options)
            .run(tokens: tokens, identity: TinyProfileModel.identity(config, tensors), calibrationFile: "tiny.txt",
                 calibrationSHA256: "00")
    }

    /// Mean KL(original || modified) over all positions of `windows`, by two independent full forward
    /// passes of the streaming model (no replay, no caching).
    private func fullForwardKL(replacing name: String, with weight: Matrix, windows: [[Int]]) throws -> Double {
        var modified = tensors
        modified.set(name, weight)
        let a = try TinyProfileModel.model(config, tensors: tensors).logits(sequences: windows)
        let b = try TinyProfileModel.model(config, tensors: modified).logits(sequences: windows)
        var total = 0.0
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                for r in 0..<a.rows {
                    let range = (r * a.cols)..<((r + 1) * a.cols)
                    total += Divergence.kl(reference: UnsafeBufferPointer(rebasing: pa[range]),
                                           other: UnsafeBufferPointer(rebasing: pb[range]))
                }
            }
        }
        return total / Double(a.rows)
    }

    /// Output error per (layer, format) equals the naive (1/T) sum_t ||dW x_t||^2 over the calibration
    /// tokens, with x_t the layer's inputs recomputed by a separate capture.
    func testOutputErrorEqualsNaiveComputationOnCapturedInputs() throws {
        let result = try run(try options(.outputError, layers: #"layers\.1\.mlp\.down"#))
        XCTAssertEqual(result.layers.map(\.id), [LayerID(block: 1, kind: .down)])
        let split = try CalibrationSplit(tokens: tokens, calibration: 6, heldOut: 0, length: 24, seed: 5, file: "tiny.txt")
        let capture = try CalibrationCapture(model: try TinyProfileModel.model(config, tensors: tensors), windows: split.calibration,
                                             options: CalibrationOptions(sampleCount: 6, sequenceLength: 24, rawInputSamples: 6))
        _ = try capture.next()
        let block = try XCTUnwrap(try capture.next())
        let x = try XCTUnwrap(block.stats(for: .down).rawInputs)
        XCTAssertEqual(x.rows, 6 * 24)
        let w = block.weights[.down]
        for (f, format) in formats.enumerated() {
            let dW = OutputError.delta(try format.quantizer.fakeQuantize(w, name: "down"), w)
            var naive = 0.0
            for t in 0..<x.rows {
                for r in 0..<dW.rows {
                    var y = 0.0
                    for c in 0..<dW.cols { y += Double(dW[r, c]) * Double(x[t, c]) }
                    naive += y * y
                }
            }
            naive /= Double(x.rows)
            XCTAssertEqual(result.scores[.outputError]![0][f], naive, accuracy: 1e-4 * naive, "\(format)")
        }
        XCTAssertNil(result.scores[.calibrated])
        XCTAssertEqual(result.profile.profiler?.scoreUnit, "output-error")
    }

    /// `kl` for a layer equals the KL between full forward passes of the original and the modified model
    /// on the probe windows (first 2 calibration windows, first 16 tokens).
    func testKLEqualsFullForwardOfModifiedModel() throws {
        let result = try run(try options(.kl, layers: #"layers\.0\.self_attn\.(v|o)_proj"#))
        XCTAssertEqual(result.layers.map(\.id.kind), [.v, .o])
        let split = try CalibrationSplit(tokens: tokens, calibration: 6, heldOut: 0, length: 24, seed: 5, file: "tiny.txt")
        let probe = split.calibration.prefix(2).map { Array($0.prefix(16)) }
        let block = try TinyProfileModel.model(config, tensors: tensors).loadBlock(0)
        for (l, kind) in [LinearKind.v, .o].enumerated() {
            for (f, format) in formats.enumerated() {
                let q = try format.quantizer.fakeQuantize(block[kind], name: "w")
                let expected = try fullForwardKL(replacing: LayerID(block: 0, kind: kind).weightName, with: q, windows: probe)
                let measured = result.scores[.kl]![l][f]
                XCTAssertEqual(measured, expected, accuracy: 1e-4 * expected + 1e-9, "\(kind) \(format)")
                XCTAssertGreaterThan(measured, 0)
            }
        }
        // int2 hurts more than int4 on every layer here.
        for l in 0..<2 { XCTAssertGreaterThan(result.scores[.kl]![l][0], result.scores[.kl]![l][1]) }
    }

    /// With the probe perturbation equal to a format's own error, `calibrated` reproduces `kl` for
    /// that format exactly, and the other formats scale by the same gain: the layer's output error for
    /// o/gate/up/down, its block's output error on the probe tokens for q/k/v (recomputed here).
    func testCalibratedWithOwnFormatAsProbeReproducesKL() throws {
        let result = try run(try options(.kl, probe: "int2/g32", layers: #"layers\.1\."#))
        XCTAssertEqual(result.layers.count, 7)
        let kl = try XCTUnwrap(result.scores[.kl]), calibrated = try XCTUnwrap(result.scores[.calibrated])
        let model = try TinyProfileModel.model(config, tensors: tensors)
        let split = try CalibrationSplit(tokens: tokens, calibration: 6, heldOut: 0, length: 24, seed: 5, file: "tiny.txt")
        let replay = try LayerReplay(model: model, windows: split.calibration.prefix(2).map { Array($0.prefix(16)) })
        let block = try model.loadBlock(1)
        for l in result.layers.indices {
            let id = result.layers[l].id, site = ErrorSite(kind: id.kind)
            XCTAssertEqual(result.probes[l].site, site)
            let errors: [Double] = try formats.map { f in
                guard site == .blockOutput else { return result.layers[l].outputError[formats.firstIndex(of: f)!] }
                let q = try f.quantizer.fakeQuantize(block[id.kind], name: id.weightName)
                return Self.blockError(model, block: 1, weights: block, replacing: id.kind, with: q, input: replay.blockInput(1), length: 16)
            }
            for f in formats.indices {
                XCTAssertEqual(result.calibratedErrors[l][f], errors[f], accuracy: 1e-4 * errors[f], "\(id) \(formats[f].name)")
            }
            XCTAssertEqual(calibrated[l][0], kl[l][0], accuracy: 1e-12 * kl[l][0], "layer \(l)")
            let gain = result.probes[l].gain
            XCTAssertEqual(gain, kl[l][0] / result.calibratedErrors[l][0], accuracy: 1e-12 * gain)
            XCTAssertEqual(result.probes[l].outputError, result.calibratedErrors[l][0])
            for f in 1..<formats.count {
                XCTAssertEqual(calibrated[l][f], gain * result.calibratedErrors[l][f], accuracy: 1e-12 * calibrated[l][f])
            }
        }
    }

    /// (1 / tokens) sum_t ||h'_t - h_t||^2 of block `block`'s output, by two forwards and a Double loop.
    static func blockError(_ model: LlamaModel, block: Int, weights: LlamaBlockWeights, replacing kind: LinearKind,
                           with w: Matrix, input: Matrix, length: Int) -> Double {
        var a = input, b = input, changed = weights
        changed[kind] = w
        model.forwardBlock(index: block, weights: weights, hidden: &a, sequenceLength: length)
        model.forwardBlock(index: block, weights: changed, hidden: &b, sequenceLength: length)
        var total = 0.0
        for r in 0..<a.rows {
            for c in 0..<a.cols { total += pow(Double(b[r, c]) - Double(a[r, c]), 2) }
        }
        return total / Double(a.rows)
    }

    /// The profile carries names, shapes, fused groups, both bit conventions, every estimator and
    /// survives the file round trip the search reads.
    func testProfileContentAndRoundTrip() throws {
        let result = try run(try options(.calibrated))
        let p = result.profile
        XCTAssertEqual(p.layers.count, 14)
        XCTAssertEqual(p.estimator, "calibrated")
        XCTAssertEqual(p.formats.map(\.name), ["int2/g32", "int4/g32", "mxfp4", "nvfp4"])
        let q = p.layers[0], up = p.layers[5]
        XCTAssertEqual(q.name, "model.layers.0.self_attn.q_proj.weight")
        XCTAssertEqual(q.shape, [32, 32])
        XCTAssertEqual(q.fusedGroup, "model.layers.0.self_attn.qkv_proj")
        XCTAssertEqual(up.fusedGroup, "model.layers.0.mlp.gate_up_proj")
        XCTAssertNil(p.layers[3].fusedGroup)
        // int2/g32 on 32 x 32: 1024 codes of 2 bits + 32 fp16 scales (symmetric: zero point implied).
        XCTAssertEqual(q.candidates[0].bits.storage, 1024 * 2 + 32 * 16)
        XCTAssertEqual(q.candidates[0].bits.autoround, 1024 * 2 + 32 * (16 + 2))
        for layer in p.layers {
            for c in layer.candidates {
                XCTAssertEqual(c.score, c.estimates?["calibrated"])
                XCTAssertNotNil(c.estimates?["output-error"])
                XCTAssertNil(c.fallback)
            }
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-profile-\(getpid()).json")
        try p.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try SensitivityProfile.load(from: url), p)
    }

    /// A model whose weights already lie on the int4/g32 grid: that format scores exactly 0 on every
    /// layer (re-quantizing a grid point is exact) and the profile notes why; others stay above 0.
    func testFormatOnTheStoredGridScoresZeroAndIsNoted() throws {
        let int4 = try QuantFormat(parsing: "int4/g32")
        var onGrid = tensors
        for b in 0..<config.numHiddenLayers {
            for kind in LinearKind.allCases {
                let name = LayerID(block: b, kind: kind).weightName
                let shape = config.linearShape(of: kind)
                let w = Matrix(rows: shape[0], cols: shape[1], data: try tensors.floats(name))
                onGrid.set(name, try int4.quantizer.fakeQuantize(w, name: name))
            }
        }
        let result = try SensitivityProfiler(model: try TinyProfileModel.model(config, tensors: onGrid), options: try options(.calibrated))
            .run(tokens: tokens, identity: TinyProfileModel.identity(config, onGrid), calibrationFile: "t", calibrationSHA256: "0")
        for layer in result.profile.layers {
            XCTAssertEqual(layer.candidate("int4/g32")?.score, 0, layer.name)
            XCTAssertGreaterThan(layer.candidate("int2/g32")?.score ?? 0, 0, layer.name)
        }
        XCTAssertEqual(result.profile.profiler?.notes,
                       ["int4/g32 reproduces every profiled weight exactly (the model is stored on this grid), so it scores 0"])
    }
}
