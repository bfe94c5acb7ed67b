import XCTest
import TensorCore
import TestSupport
@testable import Model

/// The kept forward pass (`BlockTape`): its output is the forward block's, and the reverse pass from
/// it gives exactly the gradients of the reverse pass that recomputes the forward.
final class BlockTapeTests: XCTestCase {
    func testTapeMatchesForwardAndRecomputedBackward() throws {
        let c = TinyLlama.config()
        let model = try LlamaModel(config: c, source: TinyLlama.tensors(c, seed: 5), ropeLayout: .adjacentPairs)
        let arch = model.architecture, L = 9
        let windows = (0..<3).map { TinyLlama.tokens(L, vocab: c.vocabSize, seed: 20 + UInt64($0)) }
        let w = try model.loadBlock(1)
        let input = try arch.embed(windows.flatMap { $0 }, head: try model.loadHead())

        let tape = arch.forwardKeepingActivations(weights: w, input: input, sequenceLength: L)
        var forward = input
        arch.forwardBlock(weights: w, hidden: &forward, sequenceLength: L)
        let scale = forward.data.map(abs).max()!
        XCTAssertGreaterThan(scale, 0.1)
        for (a, b) in zip(tape.output.data, forward.data) { XCTAssertEqual(a, b, accuracy: 1e-5 * scale) }

        var dY = Matrix(rows: input.rows, cols: input.cols)
        for i in dY.data.indices { dY.data[i] = Float((i * 7919) % 13) / 13 - 0.5 }
        let fromTape = arch.backwardBlock(tape: tape, sequenceLength: L, dOutput: dY, wanting: [.weight])
        let recomputed = arch.backwardBlock(weights: w, input: input, sequenceLength: L, dOutput: dY, wanting: [.weight])
        XCTAssertEqual(fromTape.input.data, recomputed.input.data)
        for kind in LinearKind.allCases {
            let a = try XCTUnwrap(fromTape.layers[kind]?.weight, "\(kind)")
            XCTAssertEqual(a.data, recomputed.layers[kind]?.weight?.data, "\(kind)")
            XCTAssertGreaterThan(a.data.map(abs).max()!, 0, "\(kind)")
        }
    }
}
