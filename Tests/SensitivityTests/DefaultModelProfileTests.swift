import XCTest
import Model
import Formats
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

    /// Mean KL (nats per token) below which a measured `kl` is not compared: 10x the float noise of a
    /// replay, measured as the KL of every weight of block 0's q projection moved by one ulp (a
    /// relative change near 6e-8 whose true KL is below 1e-12; measured 9.6e-8, asserted below 2e-7).
    static let klFloor = 1e-6

    /// Seven layers fixed by kind and depth (q and down at block 0; k, o and gate at block 15; v and up
    /// at block 29), all 8 formats, `kl` (so `calibrated` comes along): every score finite and >= 0,
    /// int2 >= int3 >= int4 >= int8, `calibrated` equals `kl` for the two probe formats, the probes
    /// carry the errors `calibrated` scaled (the block output's for q/k/v, the layer output's
    /// otherwise), and `calibrated` agrees with `kl` within a factor of 2 for every layer and format
    /// whose KL is above `klFloor`. Measured here: every such cell in 0.60-1.28 (block 0's q in FP8
    /// 0.60, MXFP4 0.69; block 15's k in MXFP4 1.28); before q/k/v were measured at the block output
    /// NVFP4 was at 0.44 on block 0's q and block 15's k (see Guides/Sensitivity.md).
    func testKLAndCalibratedAgreeOnAFewLayers() throws {
        #if DEBUG
        throw XCTSkip("58 replays of the 30-block model: run in release mode (1.5-6 minutes there, by load)")
        #else
        let (description, model, tokens) = try load()
        XCTAssertGreaterThan(tokens.count, 90_000)
        let pattern = #"layers\.(0\.self_attn\.q|0\.mlp\.down|15\.self_attn\.k|15\.self_attn\.o|15\.mlp\.gate|29\.self_attn\.v|29\.mlp\.up)_proj"#
        let options = ProfilerOptions(estimator: .kl, sampleCount: 8, sequenceLength: 256, seed: 42,
                                      probeWindows: 2, probeLength: 128, layerPattern: pattern)
        let result = try SensitivityProfiler(model: model, options: options)
            .run(tokens: tokens, identity: ModelIdentity(description), calibrationFile: "lcet10.txt", calibrationSHA256: "-")
        XCTAssertEqual(result.layers.count, 7)
        let kl = try XCTUnwrap(result.scores[.kl]), calibrated = try XCTUnwrap(result.scores[.calibrated])
        let names = options.formats.map(\.name)
        XCTAssertEqual(names, ["int2/g128", "int3/g128", "int4/g128", "int8/g128", "mxfp4", "nvfp4", "fp8", "bf16"])
        XCTAssertEqual(result.probeSets.map { $0.map(\.format) }, Array(repeating: ["int3/g128", "int4/g128"] as [QuantFormat], count: 7))
        var compared = 0
        for l in result.layers.indices {
            let id = result.layers[l].id, layer = id.weightName
            for f in names.indices {
                XCTAssertTrue(kl[l][f].isFinite && kl[l][f] >= 0 && calibrated[l][f].isFinite && calibrated[l][f] >= 0)
            }
            XCTAssertTrue(calibrated[l][0] >= calibrated[l][1] && calibrated[l][1] >= calibrated[l][2]
                          && calibrated[l][2] >= calibrated[l][3], "\(layer): \(calibrated[l])")
            XCTAssertTrue(kl[l][0] >= kl[l][1] && kl[l][1] >= kl[l][2] && kl[l][2] >= kl[l][3], "\(layer): \(kl[l])")
            // The probes are int3/g128 and int4/g128: there calibrated is the measured KL, and the
            // probes' errors are the ones calibrated scaled (the block output's for q/k/v).
            for f in [1, 2] { XCTAssertEqual(calibrated[l][f], kl[l][f], accuracy: 1e-9 * kl[l][f]) }
            XCTAssertEqual(result.probeSets[l].map(\.site), [ErrorSite(kind: id.kind), ErrorSite(kind: id.kind)])
            XCTAssertEqual(result.probeSets[l].map(\.outputError), [result.calibratedErrors[l][1], result.calibratedErrors[l][2]])
            if ErrorSite(kind: id.kind) == .layerOutput { XCTAssertEqual(result.calibratedErrors[l], result.layers[l].outputError) }
            print(layer, names.indices.map { String(format: "%@ %.2f (%.1e)", names[$0], calibrated[l][$0] / kl[l][$0], kl[l][$0]) })
            for f in names.indices where kl[l][f] >= Self.klFloor {
                let ratio = calibrated[l][f] / kl[l][f]
                XCTAssertTrue(ratio > 0.5 && ratio < 2, "\(layer) \(names[f]): calibrated \(calibrated[l][f]) vs kl \(kl[l][f])")
                compared += 1
            }
        }
        XCTAssertGreaterThanOrEqual(compared, 7 * 6, "most cells stand above the floor")
        // The floor is 10x the replay's float noise: every weight of block 0's q moved by one ulp.
        let replay = try LayerReplay(model: model, windows: Array(try SensitivityProfiler(model: model, options: options)
            .split(tokens: tokens, file: "lcet10.txt").calibration.prefix(2).map { Array($0.prefix(128)) }))
        let q0 = LayerID(block: 0, kind: .q)
        var nudged = try model.loadBlock(0)[.q]
        for i in 0..<nudged.count { nudged.data[i] = nudged.data[i].nextUp }
        let noise = abs(try replay.meanKL(replacing: [q0: nudged]))
        print("KL of a one-ulp move of every weight of block 0's q:", noise)
        XCTAssertLessThan(noise, Self.klFloor / 5)
        // 576 inputs are not a multiple of 128: int/g128 and fp8 record their fallback on q/v/gate.
        let q = result.profile.layers[0]
        XCTAssertEqual(q.shape, [576, 576])
        XCTAssertNotNil(q.candidate("int4/g128")?.fallback)
        XCTAssertNotNil(q.candidate("fp8")?.fallback)
        XCTAssertNil(q.candidate("mxfp4")?.fallback)
        XCTAssertEqual(q.probes?.count, 2)
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
