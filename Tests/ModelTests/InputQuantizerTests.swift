import XCTest
import TensorCore
import TestSupport
@testable import Model

/// Activation-quantized layers (`InputQuantizer`) multiply their quantized input in the forward pass,
/// the kept forward (`BlockTape`) and the reverse pass. A quantizer that doubles its input makes a
/// layer behave exactly like the same layer with doubled weights (powers of two scale exactly), so
/// the forward outputs must be bit-identical, and dW = dY^T Q(X) must be exactly twice the doubled
/// model's dY^T X.
final class InputQuantizerTests: XCTestCase {
    struct Doubling: InputQuantizer {
        var identity: String { "x2" }
        func fakeQuantize(_ x: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
            for i in 0..<(rows * cols) { x[i] *= 2 }
        }
    }

    /// Layers with an input quantizer in the test: q and k (sharing one copy, v reads the plain
    /// input), o, up (gate plain) and down.
    let quantized: [LinearKind] = [.q, .k, .o, .up, .down]

    func testQuantizedInputsActLikeDoubledWeights() throws {
        let c = TinyLlama.config()
        var model = try LlamaModel(config: c, source: TinyLlama.tensors(c, seed: 5), ropeLayout: .rotateHalf)
        let arch = model.architecture, L = 7
        let windows = (0..<2).map { TinyLlama.tokens(L, vocab: c.vocabSize, seed: 40 + UInt64($0)) }
        let input = try arch.embed(windows.flatMap { $0 }, head: try model.loadHead())
        var doubled = try model.loadBlock(1)
        for kind in quantized { doubled[kind].data = doubled[kind].data.map { $0 * 2 } }
        for kind in quantized { model.inputQuantizers[LayerID(block: 1, kind: kind)] = Doubling() }
        let w = try model.loadBlock(1)
        XCTAssertEqual(Set(w.inputQuantizers.keys), Set(quantized))
        XCTAssertTrue(try model.loadBlock(0).inputQuantizers.isEmpty)

        var a = input, b = input
        arch.forwardBlock(weights: w, hidden: &a, sequenceLength: L)
        arch.forwardBlock(weights: doubled, hidden: &b, sequenceLength: L)
        XCTAssertEqual(a.data, b.data)
        var plain = input, unquantized = w
        unquantized.inputQuantizers = [:]
        arch.forwardBlock(weights: unquantized, hidden: &plain, sequenceLength: L)
        XCTAssertNotEqual(a.data, plain.data)

        let tape = arch.forwardKeepingActivations(weights: w, input: input, sequenceLength: L)
        XCTAssertEqual(tape.output.data, b.data)

        var dY = Matrix(rows: input.rows, cols: input.cols)
        for i in dY.data.indices { dY.data[i] = Float((i * 7919) % 13) / 13 - 0.5 }
        let gq = arch.backwardBlock(weights: w, input: input, sequenceLength: L, dOutput: dY, wanting: [.weight])
        let gd = arch.backwardBlock(weights: doubled, input: input, sequenceLength: L, dOutput: dY, wanting: [.weight])
        let gt = arch.backwardBlock(tape: tape, sequenceLength: L, dOutput: dY, wanting: [.weight])
        for kind in LinearKind.allCases {
            let q = try XCTUnwrap(gq.layers[kind]?.weight?.data, "\(kind)")
            let d = try XCTUnwrap(gd.layers[kind]?.weight?.data, "\(kind)")
            // down: the same dY, input 2h against h: dW doubles. Below it the straight-through dX is
            // dY W_down where the doubled model has dY 2 W_down, so gate and up see half the doubled
            // model's output gradient: up (input 2m) matches it, gate (input m) gets half of it.
            switch kind {
            case .down: XCTAssertEqual(q, d.map { $0 * 2 }, "\(kind)")
            case .up: XCTAssertEqual(q, d, "\(kind)")
            case .gate: XCTAssertEqual(q.map { $0 * 2 }, d, "\(kind)")
            default: break
            }
            XCTAssertEqual(gt.layers[kind]?.weight?.data, q, "\(kind)")
            XCTAssertGreaterThan(q.map(abs).max()!, 0, "\(kind)")
        }
    }
}
