import Foundation
import XCTest
import TensorCore
@testable import Model

/// The forward pass on the cached default model (SmolLM2-135M-Instruct, Q4_1 GGUF, adjacent-pair
/// RoPE layout). Reference numbers come from an independent float32 numpy implementation
/// (/work/shared/ASSETS.md). Run in release mode; skipped when the cache is absent.
final class LlamaRealModelTests: XCTestCase {
    static func defaultModelPath() throws -> String {
        let path = (Assets.cacheDirectory as NSString).appendingPathComponent(Assets.Asset.defaultModel.rawValue)
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("default model not cached at \(path)") }
        return path
    }

    static func model() throws -> LlamaModel {
        let d = try ModelLoader.open(try defaultModelPath())
        return try LlamaModel(config: d.config, source: d.tensors, ropeLayout: d.ropeLayout)
    }

    /// "The capital of France is" = [504, 3575, 282, 4649, 314]; the greedy continuation
    /// " Paris.\n\nThe answer is:" starts with " Paris" "." (ids checked against the tokenizer below).
    func testGreedyContinuationOfCapitalOfFrance() throws {
        let model = try Self.model()
        XCTAssertEqual(model.architecture.ropeLayout, .adjacentPairs)
        let resident = try model.resident()
        let out = try resident.generate(prompt: [504, 3575, 282, 4649, 314], count: 3)
        print("greedy ids", out)
        XCTAssertEqual(Array(out.prefix(2)), [7042, 30])
        let d = try ModelLoader.open(try Self.defaultModelPath())
        let tokenizer = try EvaluationInputs.tokenizer(of: d)
        XCTAssertEqual(tokenizer.encode("The capital of France is", addSpecialTokens: false), [504, 3575, 282, 4649, 314])
        XCTAssertTrue(try tokenizer.decode(out).hasPrefix(" Paris."))
    }

    /// alice29.txt, ctx 512: running PPL 24.276 after 1 window, 23.230 after 4, 23.719 after 8
    /// (4,088 predicted tokens), each within 0.5%.
    func testAlicePerplexityMatchesReference() throws {
        let d = try ModelLoader.open(try Self.defaultModelPath())
        let alice = (Assets.cacheDirectory as NSString).appendingPathComponent(Assets.Asset.alice29.rawValue)
        guard FileManager.default.fileExists(atPath: alice) else { throw XCTSkip("alice29.txt not cached") }
        let tokens = try EvaluationInputs.tokens(ofTextFile: alice, tokenizer: try EvaluationInputs.tokenizer(of: d))
        XCTAssertEqual(tokens.count, 39_357)
        XCTAssertEqual(Array(tokens.prefix(10)), [1116, 10459, 9206, 15799, 23, 67, 5236, 48932, 42606, 5622])
        let model = try EvaluationInputs.model(d).resident()
        let r = try Evaluation.run(model: model, tokens: tokens, ctx: 512, windows: 8)
        print("alice29 running PPL", r.runningPPL)
        XCTAssertEqual(r.tokens, 4088)
        XCTAssertEqual(r.runningPPL[0], 24.276, accuracy: 24.276 * 0.005)
        XCTAssertEqual(r.runningPPL[3], 23.230, accuracy: 23.230 * 0.005)
        XCTAssertEqual(r.ppl, 23.719, accuracy: 23.719 * 0.005)
    }
}
