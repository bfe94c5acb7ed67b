import XCTest
import Model
import Quant
import TensorCore
@testable import Sensitivity

/// The profiler on the cached SmolLM2-135M-Instruct with lcet10.txt, at small settings (release
/// mode: about a minute). Skipped when the cache is absent.
final class DefaultModelProfileTests: XCTestCase {
    private func cached(_ name: String) throws -> String {
        let cache = ProcessInfo.processInfo.environment["AUTOSCHEME_CACHE"] ?? NSHomeDirectory() + "/.cache/autoscheme"
        let path = cache + "/" + name
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("\(name) not cached in \(cache)") }
        return path
    }

    private func load() throws -> (ModelDescription, LlamaModel, [Int]) {
        let description = try ModelLoader.open(try cached("SmolLM2-135M-Instruct.Q4_1.gguf"))
        let model = try LlamaModel(config: description.config, source: description.tensors, ropeLayout: description.ropeLayout)
        let text = try Tokenizer.loadText(URL(fileURLWithPath: try cached("lcet10.txt")))
        let tokens = try Tokenizer(model: description).encode(text, addSpecialTokens: false)
        return (description, model, tokens)
    }

    /// Four layers spread over the depth, 8 formats, `kl` (so `calibrated` comes along): scores are
    /// finite and >= 0, int2 >= int3 >= int4 >= int8, and `kl` agrees with `calibrated` within a
    /// factor of 2 for the integer formats and NVFP4.
    func testKLAndCalibratedAgreeOnAFewLayers() throws {
        #if DEBUG
        throw XCTSkip("32 replays of the 30-block model: run in release mode (about a minute there)")
        #else
        let (description, model, tokens) = try load()
        XCTAssertGreaterThan(tokens.count, 90_000)
        let options = ProfilerOptions(estimator: .kl, sampleCount: 4, sequenceLength: 256, seed: 42,
                                      probeWindows: 2, probeLength: 128,
                                      layerPattern: #"layers\.(2\.self_attn\.v|9\.mlp\.down|16\.self_attn\.q|25\.mlp\.gate)_proj"#)
        let result = try SensitivityProfiler(model: model, options: options)
            .run(tokens: tokens, identity: ModelIdentity(description), calibrationFile: "lcet10.txt", calibrationSHA256: "-")
        XCTAssertEqual(result.layers.count, 4)
        let kl = try XCTUnwrap(result.scores[.kl]), calibrated = try XCTUnwrap(result.scores[.calibrated])
        let names = options.formats.map(\.name)
        XCTAssertEqual(names, ["int2/g128", "int3/g128", "int4/g128", "int8/g128", "mxfp4", "nvfp4", "fp8", "bf16"])
        for l in result.layers.indices {
            let layer = result.layers[l].id.weightName
            for f in names.indices {
                XCTAssertTrue(kl[l][f].isFinite && kl[l][f] >= 0 && calibrated[l][f].isFinite && calibrated[l][f] >= 0)
            }
            XCTAssertTrue(calibrated[l][0] >= calibrated[l][1] && calibrated[l][1] >= calibrated[l][2]
                          && calibrated[l][2] >= calibrated[l][3], "\(layer): \(calibrated[l])")
            XCTAssertTrue(kl[l][0] >= kl[l][1] && kl[l][1] >= kl[l][2] && kl[l][2] >= kl[l][3], "\(layer): \(kl[l])")
            for f in 0..<7 {
                // Integer formats and NVFP4 within a factor of 2; MXFP4 (power-of-two scales) and FP8
                // within 2.5 (measured: 0.50 and 0.45 at worst on these layers).
                let limit = [0, 1, 2, 3, 5].contains(f) ? 2.0 : 2.5
                let ratio = calibrated[l][f] / kl[l][f]
                XCTAssertTrue(ratio > 1 / limit && ratio < limit, "\(layer) \(names[f]): calibrated \(calibrated[l][f]) vs kl \(kl[l][f])")
            }
            // The probe format is int3/g128, so calibrated equals kl there.
            XCTAssertEqual(calibrated[l][1], kl[l][1], accuracy: 1e-12 * kl[l][1])
        }
        // 576 inputs are not a multiple of 128: int/g128 and fp8 record their fallback on q/v/gate.
        let v = result.profile.layers[0]
        XCTAssertEqual(v.shape, [192, 576])
        XCTAssertNotNil(v.candidate("int4/g128")?.fallback)
        XCTAssertNotNil(v.candidate("fp8")?.fallback)
        XCTAssertNil(v.candidate("mxfp4")?.fallback)
        #endif
    }

    /// The weights are stored as Q4_1 (w = d q + m with a free fp16 minimum m per 32 weights). The
    /// profiler's `int4a/g32` is AutoRound's asymmetric int4: the range always includes 0 and the zero
    /// point is an integer, so it does **not** reproduce the Q4_1 grid: its output error is above 0,
    /// though below symmetric int4/g32's (measured on block 0's down_proj: 7.50 vs 8.68).
    func testStoredQ41GridIsNotTheInt4aGrid() throws {
        let (description, model, tokens) = try load()
        let options = ProfilerOptions(formats: try ProfilerOptions.parseFormats("int4a/g32,int4/g32"), estimator: .outputError,
                                      sampleCount: 2, sequenceLength: 128, probeWindows: 1, layerPattern: #"layers\.0\.mlp\.down"#)
        let result = try SensitivityProfiler(model: model, options: options)
            .run(tokens: tokens, identity: ModelIdentity(description), calibrationFile: "lcet10.txt", calibrationSHA256: "-")
        let asymmetric = result.layers[0].outputError[0], symmetric = result.layers[0].outputError[1]
        XCTAssertGreaterThan(asymmetric, 1)
        XCTAssertLessThan(asymmetric, 0.95 * symmetric)
        XCTAssertEqual(result.profile.profiler?.notes, [
            "output-error scores are tr(dW H dW^T)/tokens in squared activation units, not nats; use them to rank, not as loss",
        ])
        XCTAssertEqual(result.profile.model.fingerprint, ModelIdentity(description).fingerprint)
        XCTAssertEqual(result.profile.model.fingerprint.count, 64)
        XCTAssertEqual(result.profile.model.fixedTensors.count, 62)
        XCTAssertEqual(result.profile.model.totalParameters, 134_515_008)
    }
}
