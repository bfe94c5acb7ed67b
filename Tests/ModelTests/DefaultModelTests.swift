import Foundation
import XCTest
@testable import Model

/// The real default model (SmolLM2-135M-Instruct, GGUF Q4_1). Expected values come from the model card
/// facts in the project's asset notes and an independent numpy decoding of the file's blocks.
final class DefaultModelTests: XCTestCase {
    private func open() throws -> ModelDescription {
        guard let path = Assets.cachedPath(.defaultModel) else {
            throw XCTSkip("default model not cached in \(Assets.cacheDirectory); run scripts/fetch-assets")
        }
        return try ModelLoader.open(path)
    }

    func testMetadataAndConfig() throws {
        let d = try open()
        let g = try XCTUnwrap(d.gguf?.files.first)
        XCTAssertEqual(g.version, 3)
        XCTAssertEqual(g.metadataKeys.count, 33)
        XCTAssertEqual(g.tensors.count, 272)
        XCTAssertEqual(g.alignment, 32)
        XCTAssertEqual(g.dataOffset, 1_785_664)
        XCTAssertEqual(g["tokenizer.ggml.model"]?.stringValue, "gpt2")
        XCTAssertEqual(g["tokenizer.ggml.pre"]?.stringValue, "smollm")
        XCTAssertEqual(g["tokenizer.ggml.tokens"]?.stringArray?.count, 49152)
        XCTAssertEqual(g["tokenizer.ggml.merges"]?.arrayValue?.count, 48900)
        XCTAssertEqual(g["tokenizer.ggml.add_bos_token"]?.boolValue, false)
        let c = d.config
        XCTAssertEqual(c.modelType, "llama")
        XCTAssertEqual([c.numHiddenLayers, c.hiddenSize, c.intermediateSize, c.numAttentionHeads, c.numKeyValueHeads,
                        c.headDim, c.vocabSize, c.maxPositionEmbeddings], [30, 576, 1536, 9, 3, 64, 49152, 8192])
        XCTAssertEqual(c.ropeTheta, 100_000)
        XCTAssertEqual(c.rmsNormEps, 1e-5, accuracy: 1e-12)
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertFalse(c.attentionBias)
        XCTAssertEqual(c.bosTokenId, 1)
        XCTAssertEqual(c.eosTokenId, 2)
        XCTAssertEqual(d.ropeLayout, .adjacentPairs)
    }

    func testTensorListAndLinearLayers() throws {
        let d = try open()
        XCTAssertEqual(d.tensors.tensorInfos.count, 272)
        XCTAssertEqual(d.storageCounts, [.q4_1: 210, .q8_0: 1, .f32: 61])
        XCTAssertEqual(d.parameterCount, 134_515_008)
        XCTAssertEqual(d.linearLayers.count, 210)
        XCTAssertEqual(d.linearLayers.reduce(0) { $0 + $1.parameterCount }, 30 * (2 * 576 * 576 + 2 * 192 * 576 + 3 * 1536 * 576))
        XCTAssertEqual(d.tensorInfo("model.embed_tokens.weight")?.shape, [49152, 576])
        XCTAssertEqual(d.tensorInfo("model.layers.5.self_attn.k_proj.weight")?.shape, [192, 576])
        XCTAssertEqual(d.tensorInfo("model.layers.29.mlp.down_proj.weight")?.shape, [576, 1536])
        XCTAssertEqual(d.tensorInfo("model.norm.weight")?.shape, [576])
        XCTAssertNil(d.tensorInfo("lm_head.weight"))
        XCTAssertEqual(d.linearLayers[9].name, "model.layers.1.self_attn.v_proj")
        XCTAssertEqual(d.linearLayers.last?.weightName, "model.layers.29.mlp.down_proj.weight")
        XCTAssertTrue(d.linearLayers.allSatisfy { $0.storage == .q4_1 })
    }

    /// First values of three tensors against a numpy decoding of the same blocks
    /// (Q4_1: d*q + m with fp16 d, m; Q8_0: d*q), elements 0, 1, 2, 15, 16, 31, 32, 33.
    func testDequantizedValuesMatchNumpy() throws {
        let d = try open()
        let picks = [0, 1, 2, 15, 16, 31, 32, 33]
        let q = try d.tensors.floats("model.layers.0.self_attn.q_proj.weight")
        XCTAssertEqual(q.count, 576 * 576)
        XCTAssertEqual(picks.map { q[$0] }, [-0.0963134765625, 0.1573486328125, -0.0963134765625, 0.537841796875,
                                             -0.22314453125, -0.0963134765625, -0.34619140625, 0.3294677734375])
        let down = try d.tensors.floats("model.layers.29.mlp.down_proj.weight")
        XCTAssertEqual(picks.map { down[$0] }, [-0.2733154296875, 0.186279296875, 0.186279296875, -0.13543701171875,
                                                0.32415771484375, -0.2733154296875, 0.026611328125, -0.016998291015625])
        let embedding = try d.tensors.floats("model.embed_tokens.weight")
        XCTAssertEqual(embedding.count, 49152 * 576)
        XCTAssertEqual(picks.map { embedding[$0] }, [-0.10654449462890625, 0.032978057861328125, 0.048198699951171875,
                                                     0.020294189453125, -0.007610321044921875, -0.20040512084960938,
                                                     -0.09348678588867188, -0.15135955810546875])
        XCTAssertEqual(Array(try d.tensors.floats("model.norm.weight").prefix(4)), [1.7578125, 1.8203125, 1.78125, 1.6015625])
        XCTAssertTrue(embedding.allSatisfy { $0.isFinite })
    }
}
