import XCTest
import TensorCore
import TestSupport
@testable import Model

/// What the reverse pass delivers: the loss equals the forward pass's mean NLL, dW = dY^T X, batches
/// sum to the full gradient, unwanted fields stay nil, and bad windows raise typed errors.
final class ModelGradientsDeliveryTests: XCTestCase {
    private func tiny(_ c: ModelConfig = TinyLlama.config(), seed: UInt64 = 3) throws -> (LlamaModel, [[Int]]) {
        let model = try LlamaModel(config: c, source: TinyLlama.tensors(c, seed: seed), ropeLayout: .adjacentPairs)
        let windows = (0..<3).map { TinyLlama.tokens(9, vocab: c.vocabSize, seed: seed + UInt64($0) + 1) }
        return (model, windows)
    }

    /// The loss equals the mean of `Divergence.negativeLogLikelihood` over the forward logits of
    /// positions 0..L-2 of every window (Float logits, Double sums), streamed or resident.
    func testLossEqualsForwardMeanNLL() throws {
        let (model, windows) = try tiny()
        let logits = try model.logits(sequences: windows)
        var nll = 0.0
        logits.data.withUnsafeBufferPointer { pl in
            for (w, window) in windows.enumerated() {
                for i in 0..<(window.count - 1) {
                    let r = w * window.count + i
                    nll += Divergence.negativeLogLikelihood(
                        UnsafeBufferPointer(rebasing: pl[(r * logits.cols)..<((r + 1) * logits.cols)]), target: window[i + 1])
                }
            }
        }
        let mean = nll / Double(windows.count * 8)
        let streamed = try ModelGradients.compute(model: model, windows: windows, wanting: []) { _, _ in }
        let resident = try ModelGradients.compute(model: try model.resident(), windows: windows, wanting: []) { _, _ in }
        XCTAssertEqual(streamed.predictedTokens, 24)
        XCTAssertGreaterThan(mean, 1)
        XCTAssertEqual(streamed.loss, mean, accuracy: 1e-6 * mean)
        XCTAssertEqual(resident.loss, streamed.loss)
    }

    /// dW equals dY^T X summed in Double from the delivered dY and X; dY and X have one row per token.
    func testWeightGradientIsOutputGradientTransposedTimesInput() throws {
        let (model, windows) = try tiny(TinyLlama.config("qwen2"))
        var layers: [LayerID: LayerGradients] = [:]
        _ = try ModelGradients.compute(model: model, windows: windows, wanting: [.weight, .outputGradient, .input]) {
            layers[$0] = $1
        }
        XCTAssertEqual(layers.count, 2 * 7)
        for (id, g) in layers {
            let dy = g.outputGradient!, x = g.input!, dw = g.weight!
            XCTAssertEqual(dy.rows, 27, "\(id)")
            XCTAssertEqual([dw.rows, dw.cols], model.config.linearShape(of: id.kind))
            var worst = 0.0, scale = 0.0
            for o in 0..<dw.rows { for i in 0..<dw.cols {
                var s = 0.0
                for r in 0..<dy.rows { s += Double(dy[r, o]) * Double(x[r, i]) }
                worst = max(worst, abs(s - Double(dw[o, i])))
                scale = max(scale, abs(s))
            } }
            XCTAssertGreaterThan(scale, 1e-4, "\(id)")
            XCTAssertLessThan(worst, 1e-5 * scale, "\(id)")
            if let bias = g.bias {
                for o in 0..<dy.cols {
                    XCTAssertEqual(bias[o], (0..<dy.rows).reduce(0) { $0 + dy[$1, o] }, accuracy: 1e-5 * Float(scale))
                }
            }
        }
    }

    /// Batches of one window: three deliveries per layer whose dW sum to the single-batch dW, the
    /// same loss, the same norm and head gradients; unwanted fields are nil.
    func testBatchesSumToTheFullGradient() throws {
        let (model, windows) = try tiny()
        var full: [LayerID: Matrix] = [:], summed: [LayerID: [Float]] = [:], calls: [LayerID: [Range<Int>]] = [:]
        let all: Set<GradientKind> = [.weight, .norms, .head]
        let a = try ModelGradients.compute(model: model, windows: windows, wanting: all) { id, g in
            XCTAssertNil(g.outputGradient)
            XCTAssertNil(g.input)
            full[id] = g.weight!
        }
        let b = try ModelGradients.compute(model: model, windows: windows, wanting: all, batchSize: 1) { id, g in
            summed[id] = zip(summed[id] ?? [Float](repeating: 0, count: g.weight!.count), g.weight!.data).map(+)
            calls[id, default: []].append(g.windows)
        }
        // The loss sums Double per-token terms of Float logits; batches change only the Float products' order.
        XCTAssertEqual(a.loss, b.loss, accuracy: 1e-7 * a.loss)
        for (id, w) in full {
            XCTAssertEqual(calls[id], [0..<1, 1..<2, 2..<3])
            let diff = zip(w.data, summed[id]!).map { abs($0 - $1) }.max()!
            // Float sums in another order (per window vs all windows in one product): a few ulps of the largest entry.
            XCTAssertLessThan(diff, 1e-5 * (w.data.map(abs).max()! + 1e-3), "\(id)")
        }
        let normDiff = zip(a.norms[1].inputNorm, b.norms[1].inputNorm).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(normDiff, 1e-6)
        let headDiff = zip(a.head!.embedding.data, b.head!.embedding.data).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(headDiff, 1e-6)
        XCTAssertGreaterThan(a.head!.embedding.data.map(abs).max()!, 1e-3)
    }

    /// `backwardBlock` with dL/d(output) = 1 on one entry gives dL/d(input) equal to the central
    /// difference of that output entry of `forwardBlock` (Float, step 1e-2, 1% tolerance).
    func testBlockInputGradientMatchesForwardDifference() throws {
        let (model, windows) = try tiny()
        let arch = model.architecture, L = windows[0].count
        let w = try model.loadBlock(1)
        let input = try arch.embed(windows.flatMap { $0 }, head: try model.loadHead())
        var seed = Matrix(rows: input.rows, cols: input.cols)
        let (row, col) = (13, 5)
        seed[row, col] = 1
        let g = model.backwardBlock(index: 1, weights: w, input: input, sequenceLength: L, dOutput: seed, wanting: [])
        XCTAssertTrue(g.layers.values.allSatisfy { $0.weight == nil })
        for (r, c) in [(13, 5), (10, 2), (9, 7), (14, 0)] {
            var plus = input, minus = input
            plus[r, c] += 1e-2
            minus[r, c] -= 1e-2
            arch.forwardBlock(weights: w, hidden: &plus, sequenceLength: L)
            arch.forwardBlock(weights: w, hidden: &minus, sequenceLength: L)
            let fd = (plus[row, col] - minus[row, col]) / 2e-2
            XCTAssertEqual(g.input[r, c], fd, accuracy: 1e-2 * max(abs(fd), 0.1), "d out[\(row),\(col)] / d in[\(r),\(c)]")
        }
        // Causality: a later token (row 14, same window) and another window (row 20) get no gradient.
        XCTAssertEqual(g.input.row(14).map(abs).max()!, 0)
        XCTAssertEqual(g.input.row(20).map(abs).max()!, 0)
    }

    func testBadWindowsRaiseTypedErrors() throws {
        let (model, _) = try tiny()
        func error(_ windows: [[Int]], batch: Int? = nil) -> LlamaError? {
            do {
                _ = try ModelGradients.compute(model: model, windows: windows, wanting: [.weight], batchSize: batch) { _, _ in }
                return nil
            } catch { return error as? LlamaError }
        }
        XCTAssertEqual(error([]), .textTooShort(tokens: 0, needed: 1))
        XCTAssertEqual(error([[1]]), .textTooShort(tokens: 1, needed: 2))
        XCTAssertEqual(error([[1, 2, 3], [4, 5]]),
                       .unsupportedConfig(field: "sequence length", value: 2, reason: "sequences of one batch must all have 3 tokens"))
        XCTAssertEqual(error([[1, 2, 40]]), .tokenOutOfRange(token: 40, vocabSize: 40))
        XCTAssertEqual(error([[1, 2, 3]], batch: 0), .unsupportedConfig(field: "batch size", value: 0, reason: "must be at least 1"))
        XCTAssertTrue(LlamaError.textTooShort(tokens: 1, needed: 2).localizedDescription.contains("1 tokens"))
    }
}
