import XCTest
import TensorCore
import TestSupport
@testable import Model

final class LlamaForwardTests: XCTestCase {
    private func assertClose(_ a: [Float], _ b: [Float], _ tol: Float, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(diff, tol, "max abs diff \(diff)", file: file, line: line)
    }

    private func checkAgainstReference(_ c: ModelConfig, length: Int = 9, file: StaticString = #filePath, line: UInt = #line) throws {
        let t = TinyLlama.tensors(c, seed: 7)
        let tokens = TinyLlama.tokens(length, vocab: c.vocabSize, seed: 3)
        let model = try LlamaModel(config: c, source: t, ropeLayout: .rotateHalf)
        let got = try model.logits(sequences: [tokens]).data
        let want = try ReferenceLoss.logits(c, t, tokens: tokens).flatMap { $0.map(Float.init) }
        // The logits have magnitude ~1-10; Float32 BLAS vs Double scalar agree far below 1e-3.
        XCTAssertGreaterThan(want.map(abs).max()!, 0.5, file: file, line: line)
        assertClose(got, want, 2e-4, file: file, line: line)
    }

    func testLlamaMatchesScalarReference() throws { try checkAgainstReference(TinyLlama.config()) }
    /// 300 tokens: three causal query tiles (128 rows) and RoPE tables beyond max_position_embeddings.
    func testLongSequenceAcrossAttentionTilesMatchesScalarReference() throws {
        try checkAgainstReference(TinyLlama.config(layers: 1), length: 300)
    }
    func testTiedHeadMatchesScalarReference() throws { try checkAgainstReference(TinyLlama.config(tied: true)) }
    func testQwen2BiasesMatchScalarReference() throws { try checkAgainstReference(TinyLlama.config("qwen2")) }
    func testQwen3HeadNormsAndWideHeadsMatchScalarReference() throws {
        // head_dim 8 x 4 heads = 32 != hidden 16, as in Qwen3 checkpoints.
        try checkAgainstReference(TinyLlama.config("qwen3", headDim: 8))
    }
    func testMistralMultiHeadMatchesScalarReference() throws {
        try checkAgainstReference(TinyLlama.config("mistral", kvHeads: 4))
    }

    /// llama.cpp's convert script reorders Q/K rows within each head: new row 2j + s = old row
    /// s * d/2 + j, so that RoPE rotates adjacent pairs. Both layouts must give the same logits.
    func testRopeLayoutsAgreeAfterRowPermutation() throws {
        let c = TinyLlama.config()
        var t = TinyLlama.tensors(c, seed: 11)
        let hf = try LlamaModel(config: c, source: t, ropeLayout: .rotateHalf)
        let d = c.headDim
        for b in 0..<c.numHiddenLayers {
            for (kind, heads) in [(LinearKind.q, c.numAttentionHeads), (.k, c.numKeyValueHeads)] {
                let name = LayerID(block: b, kind: kind).weightName
                let w = try t.floats(name)
                var p = w
                for h in 0..<heads { for j in 0..<(d / 2) { for s in 0..<2 {
                    let dst = (h * d + 2 * j + s) * c.hiddenSize, src = (h * d + s * d / 2 + j) * c.hiddenSize
                    p.replaceSubrange(dst..<(dst + c.hiddenSize), with: w[src..<(src + c.hiddenSize)])
                } } }
                XCTAssertNotEqual(p, w)
                t.set(name, shape: [heads * d, c.hiddenSize], p)
            }
        }
        let gguf = try LlamaModel(config: c, source: t, ropeLayout: .adjacentPairs)
        let wrong = try LlamaModel(config: c, source: t, ropeLayout: .rotateHalf)
        let tokens = TinyLlama.tokens(12, vocab: c.vocabSize, seed: 5)
        let a = try hf.logits(sequences: [tokens]).data
        assertClose(try gguf.logits(sequences: [tokens]).data, a, 1e-4)
        // The permuted rows under the wrong layout must differ (the test can fail).
        let wrongDiff = zip(try wrong.logits(sequences: [tokens]).data, a).map { abs($0 - $1) }.max()!
        XCTAssertGreaterThan(wrongDiff, 1e-2)
    }

    /// A GQA model equals the multi-head model whose K/V heads repeat each shared head.
    func testGroupedQueryAttentionEqualsRepeatedKeyValueHeads() throws {
        let gqa = TinyLlama.config(heads: 4, kvHeads: 2)
        let t = TinyLlama.tensors(gqa, seed: 21)
        var mhaConfig = gqa
        mhaConfig.numKeyValueHeads = 4
        var m = t
        let d = gqa.headDim, h = gqa.hiddenSize
        for b in 0..<gqa.numHiddenLayers {
            for kind in [LinearKind.k, .v] {
                let name = LayerID(block: b, kind: kind).weightName
                let w = try t.floats(name)
                var rep: [Float] = []
                for head in 0..<4 { let g = head / 2; rep += w[(g * d * h)..<((g + 1) * d * h)] }
                m.set(name, shape: [4 * d, h], rep)
            }
        }
        let tokens = TinyLlama.tokens(10, vocab: gqa.vocabSize, seed: 8)
        let a = try LlamaModel(config: gqa, source: t, ropeLayout: .rotateHalf).logits(sequences: [tokens]).data
        let b = try LlamaModel(config: mhaConfig, source: m, ropeLayout: .rotateHalf).logits(sequences: [tokens]).data
        assertClose(a, b, 1e-4)
    }

    /// The tied head is the embedding: an untied model whose lm_head copies it gives equal logits.
    func testTiedHeadEqualsUntiedCopyOfEmbedding() throws {
        let tied = TinyLlama.config(tied: true)
        let t = TinyLlama.tensors(tied, seed: 4)
        var untiedConfig = tied
        untiedConfig.tieWordEmbeddings = false
        var u = t
        u.set("lm_head.weight", shape: [tied.vocabSize, tied.hiddenSize], try t.floats("model.embed_tokens.weight"))
        let tokens = TinyLlama.tokens(6, vocab: tied.vocabSize, seed: 2)
        let a = try LlamaModel(config: tied, source: t, ropeLayout: .rotateHalf).logits(sequences: [tokens]).data
        let b = try LlamaModel(config: untiedConfig, source: u, ropeLayout: .rotateHalf).logits(sequences: [tokens]).data
        XCTAssertEqual(a, b)
    }

    /// Batched sequences are independent: a batch of three gives each sequence's own logits.
    func testBatchedSequencesMatchSingleSequences() throws {
        let c = TinyLlama.config()
        let model = try TinyLlama.model(c, seed: 9)
        let seqs = (0..<3).map { TinyLlama.tokens(7, vocab: c.vocabSize, seed: UInt64(30 + $0)) }
        let batch = try model.logits(sequences: seqs).data
        let single = try seqs.flatMap { try model.logits(sequences: [$0]).data }
        assertClose(batch, single, 1e-5)
        let resident = try model.resident().logits(sequences: seqs).data
        XCTAssertEqual(resident, batch)
    }

    func testUnsupportedConfigurationsThrowTypedErrors() throws {
        XCTAssertThrowsError(try TinyLlama.model(TinyLlama.config("gpt2"))) {
            XCTAssertEqual($0 as? LlamaError, .unsupportedModelType("gpt2"))
        }
        let bad = ModelConfig(modelType: "llama", hiddenSize: 18, numHiddenLayers: 1, numAttentionHeads: 4,
                              numKeyValueHeads: 2, intermediateSize: 8, vocabSize: 10)
        XCTAssertThrowsError(try LlamaArchitecture(config: bad, ropeLayout: .rotateHalf)) {
            guard case .unsupportedConfig(field: "num_attention_heads", value: 4, _)? = $0 as? LlamaError else {
                return XCTFail("\($0)")
            }
        }
        XCTAssertThrowsError(try TinyLlama.model(TinyLlama.config(heads: 4, kvHeads: 3))) {
            guard case .unsupportedConfig(field: "num_key_value_heads", value: 3, _)? = $0 as? LlamaError else {
                return XCTFail("\($0)")
            }
        }
        // Tensors built for head_dim 4 but a config claiming head_dim 8: shape mismatch names the tensor.
        let c = TinyLlama.config()
        var wide = c
        wide.headDim = 8
        XCTAssertThrowsError(try LlamaModel(config: wide, source: TinyLlama.tensors(c), ropeLayout: .rotateHalf)) {
            XCTAssertEqual($0 as? LlamaError,
                           .tensorShape(name: "model.layers.0.self_attn.q_proj.weight", expected: [32, 16], actual: [16, 16]))
            XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("q_proj") ?? false)
        }
        XCTAssertThrowsError(try TinyLlama.model(c).logits(sequences: [[1, 40]])) {
            XCTAssertEqual($0 as? LlamaError, .tokenOutOfRange(token: 40, vocabSize: 40))
        }
    }

    /// Greedy decoding picks each step's argmax of the full forward pass.
    func testGreedyGenerationFollowsArgmax() throws {
        let c = TinyLlama.config()
        let model = try TinyLlama.model(c, seed: 13).resident()
        let prompt = [3, 17, 5]
        let out = try model.generate(prompt: prompt, count: 4)
        XCTAssertEqual(out.count, 4)
        var seq = prompt
        for tok in out {
            let logits = try ReferenceLoss.logits(c, TinyLlama.tensors(c, seed: 13), tokens: seq).last!
            XCTAssertEqual(tok, logits.indices.max { logits[$0] < logits[$1] }!)
            seq.append(tok)
        }
    }
}
