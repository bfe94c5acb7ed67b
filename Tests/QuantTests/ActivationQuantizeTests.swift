import Foundation
import TensorCore
import TestSupport
@testable import Quant
@testable import Model
@testable import Formats
import XCTest

/// Activation-quantized layers in the quantize stage: calibrated input quantizers, refused widths,
/// and block-wise SignRound tuning with Q(X) in the forward.
final class ActivationQuantizeTests: XCTestCase {
    private let L = 16

    private func setup() throws -> (LlamaModel, [[Int]]) {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 4), ropeLayout: .rotateHalf)
        let t = TinyModel.tokens(8 * L, seed: 9)
        return (model, (0..<8).map { Array(t[($0 * L)..<(($0 + 1) * L)]) })
    }

    func testInputQuantizersAreCalibratedAndWidthsChecked() throws {
        let (model, windows) = try setup()
        let q = LayerID(block: 0, kind: .q), up = LayerID(block: 1, kind: .up), down = LayerID(block: 1, kind: .down)
        let got = try ActivationCalibration.inputQuantizers(model: model, formats: [q: .nvfp4A4, up: .mxfp4A4, down: .nvfp4],
                                                            windows: windows)
        let amax = try InputAmax.measure(model: model, windows: windows)
        XCTAssertGreaterThan(amax[q], 0)
        XCTAssertEqual(got, [q: .nvfp4(inputGlobalScale: 2688 * (1 / amax[q])), up: .mxfp4])
        // Every input of a site: q/k/v read the block's normed stream, whose maximum InputAmax keeps.
        XCTAssertEqual(amax[q], amax[LayerID(block: 0, kind: .v)])
        let inputs = TinyModel.config.linearShape(of: .q)[1]
        XCTAssertNotEqual(inputs % 128, 0)
        XCTAssertThrowsError(try ActivationCalibration.inputQuantizers(model: model, formats: [q: .fp8A8], windows: windows)) { error in
            XCTAssertEqual(error as? QuantError, .rowLengthNotMultipleOfBlock(tensor: "model.layers.0.self_attn.q_proj",
                                                                              format: "fp8-a8 (fp8 activations)", rowLength: inputs, blockSize: 128))
        }
        XCTAssertTrue(try ActivationCalibration.inputQuantizers(model: model, formats: [down: .nvfp4], windows: windows).isEmpty)
    }

    /// Plain round to nearest quantizes an activation format's weights as the weight-only format's; block-wise
    /// SignRound tunes them with the quantized inputs in the forward, so they differ from the tuning
    /// of the weight-only plan on the same seed.
    func testBlockSignRoundTunesWithQuantizedInputs() throws {
        let (model, windows) = try setup()
        var formats: [LayerID: QuantFormat] = [:]
        for b in 0..<TinyModel.config.numHiddenLayers { for k in LinearKind.allCases { formats[LayerID(block: b, kind: k)] = .nvfp4 } }
        var activated = formats
        for k in LinearKind.allCases { activated[LayerID(block: 0, kind: k)] = .nvfp4A4 }
        var rtn = QuantizeOptions()
        rtn.method = .rtnPlain
        let a = try PlanApplier(model: model, formats: activated, options: rtn).run(windows: windows)
        XCTAssertEqual(Set(a.inputQuantizers.keys), Set(LinearKind.allCases.map { LayerID(block: 0, kind: $0) }))
        let id = LayerID(block: 0, kind: .gate)
        let plainRTN = try QuantFormat.nvfp4.quantizer.fakeQuantize(try model.loadBlock(0)[.gate], name: "g", adjustments: nil)
        XCTAssertTrue(a.weights[id] == plainRTN, "round to nearest ignores the activations")
        XCTAssertEqual(a.quantized[id]?.format, .nvfp4)

        var o = QuantizeOptions()
        o.scope = .block
        o.signRound.iterations = 8
        o.batchSize = 4
        let tunedPlain = try PlanApplier(model: model, formats: formats, options: o).run(windows: windows)
        let tunedActivated = try PlanApplier(model: model, formats: activated, options: o).run(windows: windows)
        XCTAssertFalse(tunedPlain.weights[id] == tunedActivated.weights[id], "the tuning saw Q(X)")
        XCTAssertEqual(tunedActivated.inputQuantizers, a.inputQuantizers)
        XCTAssertTrue(tunedPlain.inputQuantizers.isEmpty)
    }
}

/// A plan of ggml types only takes 8 calibration windows unless the window count is given, and is
/// rounded on the original model's activation energy whatever the recipe.
final class GGMLEnergyWindowsTests: XCTestCase {
    func testRecipesCalibrateGGMLPlansOnEightWindows() throws {
        for recipe in QuantizeRecipe.allCases {
            let o = try RecipeOverrides().resolve(recipe)
            XCTAssertEqual(o.ggmlEnergyWindows, 8, "\(recipe)")
            var given = RecipeOverrides()
            given.samples = 32
            XCTAssertNil(try given.resolve(recipe).ggmlEnergyWindows, "\(recipe): --nsamples wins")
        }
        let q = LayerID(block: 0, kind: .q)
        XCTAssertTrue(PlanApplier.ggmlOnly([q: .ggml(.q4_0), LayerID(block: 0, kind: .k): .bf16]))
        XCTAssertFalse(PlanApplier.ggmlOnly([q: .bf16]))
        XCTAssertFalse(PlanApplier.ggmlOnly([q: .ggml(.q4_0), LayerID(block: 0, kind: .k): .nvfp4]))
    }

    /// Block-wise SignRound and round to nearest give the same bytes on a ggml plan: both round once
    /// on the original stream's energy.
    func testEveryRecipeRoundsGGMLPlansOnTheOriginalStream() throws {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 4), ropeLayout: .rotateHalf)
        let t = TinyModel.tokens(8 * 16, seed: 9)
        let windows = (0..<8).map { Array(t[($0 * 16)..<(($0 + 1) * 16)]) }
        var formats: [LayerID: QuantFormat] = [:]
        for k in LinearKind.allCases { formats[LayerID(block: 0, kind: k)] = .ggml(.q4_0) }
        formats[LayerID(block: 1, kind: .q)] = .bf16
        let block = try RecipeOverrides().resolve(.default), rtn = try RecipeOverrides().resolve(.rtn)
        XCTAssertEqual(block.scope, .block)
        let a = try PlanApplier(model: model, formats: formats, options: block).run(windows: windows)
        let b = try PlanApplier(model: model, formats: formats, options: rtn).run(windows: windows)
        XCTAssertEqual(a.quantized.count, 8)
        for (id, tensor) in a.quantized { XCTAssertTrue(tensor == b.quantized[id], "\(id)") }
        XCTAssertEqual(a.quantized[LayerID(block: 1, kind: .q)]?.format, .bf16)
    }
}
