import XCTest
import TensorCore
import TestSupport
@testable import Model

final class CalibrationTests: XCTestCase {
    private let config = TinyLlama.config(layers: 3)

    private func windows(_ n: Int, _ L: Int) throws -> [[Int]] {
        try CalibrationWindows.sample(tokens: TinyLlama.tokens(200, vocab: config.vocabSize, seed: 77),
                                      count: n, length: L, seed: 5)
    }

    func testWindowsAreSeededSlicesOfTheText() throws {
        let text = Array(0..<100)
        let a = try CalibrationWindows.sample(tokens: text, count: 6, length: 10, seed: 9)
        XCTAssertEqual(a, try CalibrationWindows.sample(tokens: text, count: 6, length: 10, seed: 9))
        XCTAssertNotEqual(a, try CalibrationWindows.sample(tokens: text, count: 6, length: 10, seed: 10))
        // First start by hand: SplitMix64(9).next() % 91.
        var rng = SplitMix64(seed: 9)
        let start = Int(rng.next() % 91)
        XCTAssertEqual(a[0], Array(start..<(start + 10)))
        for w in a { XCTAssertEqual(w, Array(w[0]..<(w[0] + 10))) }
        XCTAssertThrowsError(try CalibrationWindows.sample(tokens: Array(0..<9), count: 1, length: 10, seed: 1)) {
            XCTAssertEqual($0 as? LlamaError, .textTooShort(tokens: 9, needed: 10))
        }
    }

    /// Streaming block by block in chunks of 2 samples gives the whole-model logits.
    func testBlockStreamingMatchesWholeModelPass() throws {
        let model = try TinyLlama.model(config, seed: 3)
        let w = try windows(5, 12)
        let capture = try CalibrationCapture(model: model, windows: w,
                                             options: .init(keepBlockInputs: true, samplesPerChunk: 2))
        var seen: [Int] = []
        while let block = try capture.next() {
            seen.append(block.index)
            XCTAssertEqual(block.input?.rows, 60)
        }
        XCTAssertEqual(seen, [0, 1, 2])
        let streamed = try capture.finalLogits().data
        let whole = try model.resident().logits(sequences: w).data
        let diff = zip(streamed, whole).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(diff, 1e-4)
    }

    /// The Gram matrices equal X^T X of the raw inputs, computed naively in Double; the attention
    /// input of block 0 is RMSNorm(embedding) by hand; mean squares are the diagonal over the count.
    func testGramMatricesEqualNaiveProducts() throws {
        let t = TinyLlama.tensors(config, seed: 3)
        let model = try LlamaModel(config: config, source: t, ropeLayout: .rotateHalf)
        let w = try windows(3, 8)
        let capture = try CalibrationCapture(model: model, windows: w,
                                             options: .init(rawInputSamples: 3, samplesPerChunk: 2))
        let block0 = try capture.next()!
        let x0 = block0.stats(for: .k).rawInputs!
        let emb = try t.floats("model.embed_tokens.weight"), g = try t.floats("model.layers.0.input_layernorm.weight")
        let h = config.hiddenSize
        for (r, tok) in w.flatMap({ $0 }).enumerated() {
            let e = emb[(tok * h)..<((tok + 1) * h)].map(Double.init)
            let rms = (e.reduce(0) { $0 + $1 * $1 } / Double(h) + 1e-5).squareRoot()
            for c in 0..<h { XCTAssertEqual(Double(x0[r, c]), e[c] / rms * Double(g[c]), accuracy: 1e-5) }
        }
        for block in [block0, try capture.next()!] {
            for site in LinearInputSite.allCases {
                let s = block.stats[site]!
                XCTAssertEqual(s.tokenCount, 24)
                let x = s.rawInputs!
                XCTAssertEqual(x.rows, 24)
                for i in 0..<x.cols { for j in 0..<x.cols {
                    let naive = (0..<x.rows).reduce(0.0) { $0 + Double(x[$1, i]) * Double(x[$1, j]) }
                    XCTAssertEqual(Double(s.gram[i, j]), naive, accuracy: 1e-4 * max(1, abs(naive)))
                } }
                XCTAssertEqual(s.meanSquare[1], s.gram[1, 1] / 24)
            }
        }
    }

    /// Pushing a block's input through *modified* weights and handing the result back continues the
    /// stream from the modified block: the final logits equal the modified model's.
    func testModifiedBlockOutputsFeedTheNextBlocks() throws {
        var t = TinyLlama.tensors(config, seed: 3)
        let model = try LlamaModel(config: config, source: t, ropeLayout: .rotateHalf)
        let w = try windows(2, 6)
        let capture = try CalibrationCapture(model: model, windows: w, options: .init(keepBlockInputs: true))
        _ = try capture.next()
        let block1 = try capture.next()!
        var modified = block1.weights
        modified[.up] = Matrix(rows: 24, cols: 16, data: modified[.up].data.map { $0 * 0.5 })
        var h = block1.input!
        model.forwardBlock(index: 1, weights: modified, hidden: &h, sequenceLength: 6)
        capture.replaceHidden(h)
        while try capture.next() != nil {}
        t.set("model.layers.1.mlp.up_proj.weight", modified[.up])
        let want = try LlamaModel(config: config, source: t, ropeLayout: .rotateHalf).logits(sequences: w).data
        let diff = zip(try capture.finalLogits().data, want).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(diff, 1e-4)
    }

    func testReplayWithUnchangedWeightsHasZeroKL() throws {
        let model = try TinyLlama.model(config, seed: 3)
        let replay = try LayerReplay(model: model, windows: try windows(3, 10))
        let same = try model.loadBlock(1)[.o]
        XCTAssertEqual(try replay.meanKL(replacing: [LayerID(block: 1, kind: .o): same]), 0)
    }

    /// KL after replacing two layers equals the KL of a full forward of the modified model, computed
    /// in Double from the logits; scored rows restrict it to the last 4 positions.
    func testReplayEqualsFullForwardOfModifiedModel() throws {
        var t = TinyLlama.tensors(config, seed: 3)
        let model = try LlamaModel(config: config, source: t, ropeLayout: .rotateHalf)
        let w = try windows(3, 10)
        let replay = try LayerReplay(model: model, windows: w, scored: .last(4), residentWeights: false)
        var rng = SplitMix64(seed: 123)
        var changes: [LayerID: Matrix] = [:]
        for id in [LayerID(block: 1, kind: .gate), LayerID(block: 2, kind: .v)] {
            var m = try model.loadBlock(id.block)[id.kind]
            for i in m.data.indices { m.data[i] += 0.2 * rng.nextGaussian() }
            changes[id] = m
            t.set(id.weightName, m)
        }
        let original = try model.logits(sequences: w)
        let modified = try LlamaModel(config: config, source: t, ropeLayout: .rotateHalf).logits(sequences: w)
        var want = 0.0
        let rows = (0..<3).flatMap { s in (6..<10).map { s * 10 + $0 } }
        XCTAssertEqual(replay.scoredRows, rows)
        for r in rows {
            let p = original.row(r).map(Double.init), q = modified.row(r).map(Double.init)
            let lzp = log(p.map { exp($0) }.reduce(0, +)), lzq = log(q.map { exp($0) }.reduce(0, +))
            want += zip(p, q).reduce(0) { $0 + exp($1.0 - lzp) * (($1.0 - lzp) - ($1.1 - lzq)) }
        }
        want /= Double(rows.count)
        let got = try replay.meanKL(replacing: changes)
        XCTAssertGreaterThan(want, 1e-3)
        XCTAssertEqual(got, want, accuracy: 1e-4 * want + 1e-6)
        let logits = try replay.logits(replacing: changes)
        XCTAssertEqual(logits.rows, 12)
        // Equal up to float rounding: the replay multiplies 12 rows where the full forward multiplies
        // 30, and OpenBLAS may pick a different kernel blocking (so summation order) for each shape.
        let rowDiff = zip(logits.row(0), modified.row(6)).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(rowDiff, 1e-5 * (modified.row(6).map(abs).max()! + 1))
        XCTAssertThrowsError(try replay.meanKL(replacing: [LayerID(block: 0, kind: .q): Matrix(rows: 3, cols: 3)])) {
            XCTAssertEqual($0 as? LlamaError, .replacementShape(layer: "model.layers.0.self_attn.q_proj",
                                                                 expected: [16, 16], actual: [3, 3]))
        }
    }
}
