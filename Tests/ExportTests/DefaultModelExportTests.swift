import Foundation
import XCTest
import TensorCore
@testable import Export
@testable import Model
@testable import Formats

/// An auto_round export of the default GGUF model (run in release mode: it writes about 540 MB).
final class DefaultModelExportTests: XCTestCase {
    /// Quantizes four layers (int4, mxfp4 on block 0's Q/K; fp8 and int3 on block 1's Q/K, so Q/K
    /// reordering meets every scale layout), exports, reads back: config, tokenizer and logits match
    /// the in-memory fake-quantized model: within 2e-6 relative of its adjacent-pair run (the attention
    /// sums run in another order; measured 4.0e-5 on logits up to 27.4) and within 1e-5 absolute of
    /// the same weights run in rotate-half layout.
    func testGGUFExportReadsBackWithSameLogitsConfigAndTokenizer() throws {
        guard let path = Assets.cachedPath(.defaultModel) else { throw XCTSkip("default model not cached") }
        let model = try ModelLoader.open(path)
        XCTAssertEqual(model.ropeLayout, .adjacentPairs)
        let formats: [String: QuantFormat] = [
            "model.layers.0.self_attn.q_proj": try .int(bits: 4, groupSize: 128),
            "model.layers.0.self_attn.k_proj": .mxfp4,
            "model.layers.1.self_attn.q_proj": .fp8,
            "model.layers.1.self_attn.k_proj": try .int(bits: 3, groupSize: 64, symmetric: false),
        ]
        let layers = try ExportFixtures.quantize(model, formats: formats)
        var fake = InMemoryTensorsOverlay(base: model.tensors)
        for l in layers { fake.replace(l.module + ".weight", try l.format.quantizer.dequantize(l.tensor).data) }
        let ids = [504, 3575, 282, 4649, 314]
        let expected = try LlamaModel(config: model.config, source: fake, ropeLayout: .adjacentPairs).logits(sequences: [ids])

        let out = ExportFixtures.temporaryURL("smollm2-auto-round")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let start = Date()
        try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)
        print("export of the default model: \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        let back = try QuantizedCheckpointLoader.open(out.path)
        XCTAssertEqual(back.config, model.config)
        XCTAssertTrue(back.config.tieWordEmbeddings)
        XCTAssertNil(back.tensorInfo("lm_head.weight"))
        let got = try LlamaModel(config: back.config, source: back.tensors, ropeLayout: back.ropeLayout).logits(sequences: [ids])
        let diff = ExportFixtures.maxAbsDiff(expected, got)
        let scale = expected.data.reduce(0) { max($0, abs($1)) }
        print("default model round trip vs adjacent-pair run: max abs logit diff \(diff), max |logit| \(scale)")
        XCTAssertLessThan(diff, 2e-6 * scale)
        // The same fake-quantized model with Q/K rows moved to rotate-half here (GGUF row g of head
        // h = g / d: i = (g % d) / 2, j = g % 2, goes to row h*d + j*d/2 + i) runs the read-back
        // model's arithmetic exactly.
        var rotated = fake
        let c = model.config, d = c.headDim
        for b in 0..<c.numHiddenLayers {
            for (kind, heads) in [("q_proj", c.numAttentionHeads), ("k_proj", c.numKeyValueHeads)] {
                let name = "model.layers.\(b).self_attn.\(kind).weight"
                let w = try fake.floats(name), cols = c.hiddenSize
                var out = [Float](repeating: 0, count: w.count)
                for g in 0..<(heads * d) {
                    let h = g / d, i = (g % d) / 2, j = g % 2
                    let r = h * d + j * (d / 2) + i
                    out.replaceSubrange((r * cols)..<((r + 1) * cols), with: w[(g * cols)..<((g + 1) * cols)])
                }
                rotated.replace(name, out)
            }
        }
        let exact = try LlamaModel(config: model.config, source: rotated, ropeLayout: .rotateHalf).logits(sequences: [ids])
        let exactDiff = ExportFixtures.maxAbsDiff(exact, got)
        print("default model round trip vs rotate-half run: max abs logit diff \(exactDiff)")
        XCTAssertLessThan(exactDiff, 1e-5)
        // Greedy next token after "The capital of France is" is " Paris" (id 7042 or the reference's).
        let last = (0..<got.cols).max { got[ids.count - 1, $0] < got[ids.count - 1, $1] }
        let lastExpected = (0..<expected.cols).max { expected[ids.count - 1, $0] < expected[ids.count - 1, $1] }
        XCTAssertEqual(last, lastExpected)
        let tokenizer = try Tokenizer(model: back)
        XCTAssertEqual(tokenizer.encode("The capital of France is", addSpecialTokens: false), ids)

        // What `autoscheme eval OUTDIR` runs: one 128-token window of alice29.txt, tokenized with the
        // folder's tokenizer.json; PPL equals the rotate-half fake-quantized model's.
        guard let alice = Assets.cachedPath(.alice29) else { return }
        let text = try EvaluationInputs.tokens(ofTextFile: alice, tokenizer: try EvaluationInputs.tokenizer(of: back))
        XCTAssertEqual(Array(text.prefix(3)), [1116, 10459, 9206])
        let ppl = try Evaluation.run(model: try EvaluationInputs.model(back).resident(), tokens: text, ctx: 128, windows: 1).ppl
        let reference = try Evaluation.run(model: try LlamaModel(config: model.config, source: rotated, ropeLayout: .rotateHalf).resident(),
                                           tokens: text, ctx: 128, windows: 1).ppl
        print("eval on the exported folder: PPL \(ppl) (fake-quantized in memory \(reference))")
        XCTAssertEqual(ppl, reference)
    }
}

/// A tensor source that serves replaced tensors from memory and the rest from a base source.
struct InMemoryTensorsOverlay: TensorSource {
    let base: any TensorSource
    var replaced: [String: [Float]] = [:]

    init(base: any TensorSource) { self.base = base }

    mutating func replace(_ name: String, _ values: [Float]) { replaced[name] = values }

    var tensorInfos: [TensorInfo] { base.tensorInfos }

    func floats(_ name: String) throws -> [Float] { try replaced[name] ?? base.floats(name) }
}
