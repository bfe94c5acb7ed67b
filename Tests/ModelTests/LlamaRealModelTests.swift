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
    }
}
