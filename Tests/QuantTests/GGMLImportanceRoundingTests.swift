import Foundation
import TensorCore
import TestSupport
@testable import Quant
@testable import Model
@testable import Formats
import XCTest

/// Layers planned in a ggml block type: llama.cpp's importance-weighted quantizers with the input
/// Gram diagonal (layer scope) or the quantized stream's activation energy (block scope), the
/// evaluated weights exactly the stored blocks decoded.
final class GGMLImportanceRoundingTests: XCTestCase {
    private let L = TinyBlockFixture.length

    /// q4_0 on 64 inputs fits; q4_K on 64 inputs is stored in llama.cpp's fallback, q5_0.
    private func mixedFormats() throws -> [LayerID: QuantFormat] {
        var f = try TinyBlockFixture.formats("q4_0")
        for b in 0..<2 { f[LayerID(block: b, kind: .up)] = try QuantFormat(parsing: "q4_K") }
        return f
    }

    /// Layer scope, a plan of ggml types only (rtn and signround alike): each block runs once
    /// measuring its inputs' activation energy; block 0's layers equal the importance path of
    /// `GGMLBlockQuantizer` on the embeddings' energy, the weights are the decoded bytes, and plain
    /// RTN gives the reference path's bytes.
    func testLayerScopeGGMLPlanUsesActivationEnergy() throws {
        let model = try TinyBlockFixture.model()
        let windows = TinyBlockFixture.windows(6)
        let formats = try mixedFormats()
        let block = try model.loadBlock(0)
        let hidden = try model.architecture.embed(windows.flatMap { $0 }, head: try model.loadHead())
        let energy = BlockInputEnergy.measure(model: model, block: 0, weights: block, hidden: hidden, length: L)
        for method in [QuantizeMethod.rtn, .signround] {
            var options = QuantizeOptions()
            options.method = method
            options.signRound.iterations = method == .signround ? 5 : 0
            var lines: [String] = []
            let out = try PlanApplier(model: model, formats: formats, options: options).run(windows: windows) { lines.append($0) }
            XCTAssertEqual(lines.count, 2)
            for kind in LinearKind.allCases {
                let id = LayerID(block: 0, kind: kind)
                let w = block[kind]
                let stored = formats[id]!.ggmlType!.stored(cols: w.cols)!
                let expected = try GGMLBlockQuantizer.quantize(w, type: stored, importance: energy[kind.inputSite]!, name: id.description)
                let q = try XCTUnwrap(out.quantized[id])
                XCTAssertEqual(q.format, .ggml(stored), "\(method) \(id)")
                XCTAssertEqual(q.codes, .blocks(expected), "\(method) \(id)")
                let decoded = try GGMLBlockQuantizer.dequantize(expected, type: stored, rows: w.rows, cols: w.cols, name: id.description)
                XCTAssertEqual(out.weights[id]!.data.map(\.bitPattern), decoded.data.map(\.bitPattern), "\(method) \(id)")
            }
            XCTAssertEqual(out.stats.count, 14)
            XCTAssertTrue(out.stats.allSatisfy { $0.iterations == 0 && $0.signRoundError > 0 }, "\(method): nothing tuned")
        }
        var plain = QuantizeOptions()
        plain.method = .rtnPlain
        plain.signRound.iterations = 0
        let reference = try PlanApplier(model: model, formats: formats, options: plain).run(windows: windows)
        let id = LayerID(block: 0, kind: .q)
        XCTAssertEqual(reference.quantized[id]?.codes,
                       .blocks(try GGMLBlockQuantizer.quantize(block[.q], type: .q4_0, importance: nil, name: "q")))
        var rtn = QuantizeOptions()
        rtn.method = .rtn
        let weighted = try PlanApplier(model: model, formats: formats, options: rtn).run(windows: windows)
        XCTAssertNotEqual(weighted.quantized[id]?.codes, reference.quantized[id]?.codes, "the importance changes the bytes")
    }

    /// Layer scope, ggml layers beside an int layer (the Gram path): the ggml layers use the
    /// diagonal of their site's Gram matrix.
    func testLayerScopeMixedPlanUsesTheGramDiagonal() throws {
        let model = try TinyBlockFixture.model()
        let windows = TinyBlockFixture.windows(6)
        var formats = try mixedFormats()
        formats[LayerID(block: 1, kind: .o)] = try QuantFormat(parsing: "int3/g32")
        let block = try model.loadBlock(0)
        let grams = try CalibrationStreams(model: model, windows: windows, quantizedInput: false).grams(block: 0, weights: block)
        var options = QuantizeOptions()
        options.method = .rtn
        let out = try PlanApplier(model: model, formats: formats, options: options).run(windows: windows)
        for kind in LinearKind.allCases {
            let id = LayerID(block: 0, kind: kind)
            let w = block[kind]
            let gram = try grams[kind.inputSite]!.objective(kind: kind, weights: w, layer: id.description).gram
            let expected = try GGMLImportanceRounding.quantize(weights: w, format: formats[id]!,
                                                               importance: GGMLImportanceRounding.diagonal(gram), name: id.description)
            XCTAssertEqual(out.quantized[id]?.codes, expected.tensor.codes, "\(id)")
            XCTAssertEqual(out.weights[id]!.data.map(\.bitPattern), expected.weights.data.map(\.bitPattern), "\(id)")
        }
    }

    /// Block scope: ggml layers of block 0 use the activation energy of the embeddings (the
    /// quantized stream's input to block 0) and stay fixed while SignRound tunes the int layers;
    /// the end-to-end pass leaves them too.
    func testBlockScopeHoldsGGMLLayersFixed() throws {
        let model = try TinyBlockFixture.model()
        let windows = TinyBlockFixture.windows(6)
        var formats = try mixedFormats()
        for b in 0..<2 { formats[LayerID(block: b, kind: .o)] = try QuantFormat(parsing: "int3/g32") }
        var options = QuantizeOptions()
        options.scope = .block
        options.signRound.iterations = 10
        options.batchSize = 2
        options.endToEnd.steps = 2
        let out = try PlanApplier(model: model, formats: formats, options: options).run(windows: windows)
        let block = try model.loadBlock(0)
        let hidden = try model.architecture.embed(windows.flatMap { $0 }, head: try model.loadHead())
        let energy = BlockInputEnergy.measure(model: model, block: 0, weights: block, hidden: hidden, length: L)
        for kind in LinearKind.allCases where kind != .o {
            let id = LayerID(block: 0, kind: kind)
            let expected = try GGMLImportanceRounding.quantize(weights: block[kind], format: formats[id]!,
                                                               importance: energy[kind.inputSite]!, name: id.description)
            XCTAssertEqual(out.quantized[id]?.codes, expected.tensor.codes, "\(id)")
            XCTAssertEqual(out.weights[id]!.data.map(\.bitPattern), expected.weights.data.map(\.bitPattern), "\(id)")
        }
        XCTAssertEqual(out.stats.count, 14)
        XCTAssertTrue(out.stats.filter { $0.name.hasSuffix("o_proj") }.allSatisfy { $0.iterations == 10 })
        XCTAssertTrue(out.stats.filter { !$0.name.hasSuffix("o_proj") }.allSatisfy { $0.iterations == 0 })
        XCTAssertEqual(out.endToEnd?.steps, 2, "the int layers take the end-to-end pass")
    }

    /// A plan without int layers skips the end-to-end pass (it tunes int group scales only) instead
    /// of running its steps on nothing.
    func testPlanWithoutIntLayersSkipsTheEndToEndPass() throws {
        var options = QuantizeOptions()
        options.scope = .block
        options.signRound.iterations = 2
        options.batchSize = 2
        options.endToEnd.steps = 3
        let out = try PlanApplier(model: try TinyBlockFixture.model(), formats: try mixedFormats(), options: options)
            .run(windows: TinyBlockFixture.windows(6))
        XCTAssertNil(out.endToEnd)
    }

    /// Negative importance (float rounding of a Gram diagonal) counts as 0; the diagonal is read in order.
    func testImportanceClampAndDiagonal() throws {
        let w = Matrix(rows: 2, cols: 32, data: (0..<64).map { Float($0 % 7) - 3 })
        var h = [Float](repeating: 1, count: 32)
        h[3] = -1e-9
        var zeroed = h
        zeroed[3] = 0
        let a = try GGMLImportanceRounding.quantize(weights: w, format: .ggml(.q4_0), importance: h, name: "w")
        XCTAssertEqual(a.tensor.codes, .blocks(try GGMLBlockQuantizer.quantize(w, type: .q4_0, importance: zeroed, name: "w")))
        XCTAssertEqual(GGMLImportanceRounding.diagonal(Matrix(rows: 2, cols: 2, data: [1, 2, 3, 4])), [1, 4])
    }
}
