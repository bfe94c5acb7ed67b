import XCTest
import TensorCore
import TestSupport
@testable import Model

final class TextSamplerTests: XCTestCase {
    /// The key/value-cached decoding gives the hidden states of a whole-window forward pass at every
    /// position, for each family the forward pass covers (biases, Q/K norms, grouped heads, tied head).
    func testDecodedHiddenStatesMatchWholeWindowForward() throws {
        for c in [TinyLlama.config(), TinyLlama.config("qwen2"), TinyLlama.config("qwen3", headDim: 8),
                  TinyLlama.config(heads: 4, kvHeads: 4, tied: true)] {
            let model = try TinyLlama.model(c, seed: 5).resident()
            let prompts = [[3, 17, 5], [9, 1, 30]]
            let sampled = try model.sample(prompts: prompts, length: 11, temperature: 1, seed: 7)
            XCTAssertEqual(sampled.tokens.map(\.count), [11, 11])
            XCTAssertEqual(sampled.tokens.map { Array($0.prefix(3)) }, prompts, "prompts are kept")
            let whole = try model.hiddenStates(sequences: sampled.tokens)
            XCTAssertEqual(sampled.hidden.rows, 22)
            var worst: Float = 0
            for i in whole.data.indices { worst = max(worst, abs(whole.data[i] - sampled.hidden.data[i])) }
            XCTAssertLessThan(worst, 2e-5, "\(c.modelType)")
        }
    }

    /// Temperature 0 is greedy decoding: the tokens `generate` (argmax of a full forward per step) picks.
    func testTemperatureZeroIsGreedyDecoding() throws {
        let model = try TinyLlama.model(TinyLlama.config(), seed: 13).resident()
        let sampled = try model.sample(prompts: [[3, 17, 5], [2, 2, 8]], length: 9, temperature: 0, seed: 1)
        XCTAssertEqual(Array(sampled.tokens[0].suffix(6)), try model.generate(prompt: [3, 17, 5], count: 6))
        XCTAssertEqual(Array(sampled.tokens[1].suffix(6)), try model.generate(prompt: [2, 2, 8], count: 6))
    }

    /// A window's tokens depend on its seed and index only, not on the other prompts decoded with it.
    func testWindowsDoNotDependOnTheBatch() throws {
        let model = try TinyLlama.model(TinyLlama.config(), seed: 13).resident()
        let both = try model.sample(prompts: [[3, 17], [4, 4]], length: 12, temperature: 1, seed: 99)
        let first = try model.sample(prompts: [[3, 17]], length: 12, temperature: 1, seed: 99)
        XCTAssertEqual(both.tokens[0], first.tokens[0])
        XCTAssertEqual(both.tokens, try model.sample(prompts: [[3, 17], [4, 4]], length: 12, temperature: 1, seed: 99).tokens)
        XCTAssertNotEqual(both.tokens, try model.sample(prompts: [[3, 17], [4, 4]], length: 12, temperature: 1, seed: 100).tokens)
    }

    /// Inverse transform over exp((l - max) / T): logits log(0.5), log(0.25), log(0.25) at T = 1 split
    /// [0, 1) at 0.5 and 0.75; at T = 0.5 the weights are 0.25, 0.0625, 0.0625 (split at 2/3, 5/6).
    func testDrawInvertsTheTemperedDistribution() {
        let l: [Float] = [logf(0.5), logf(0.25), logf(0.25)]
        l.withUnsafeBufferPointer { p in
            XCTAssertEqual(TokenSampling.draw(p, temperature: 1, u: 0.49), 0)
            XCTAssertEqual(TokenSampling.draw(p, temperature: 1, u: 0.51), 1)
            XCTAssertEqual(TokenSampling.draw(p, temperature: 1, u: 0.76), 2)
            XCTAssertEqual(TokenSampling.draw(p, temperature: 0.5, u: 0.66), 0)
            XCTAssertEqual(TokenSampling.draw(p, temperature: 0.5, u: 0.67), 1)
            XCTAssertEqual(TokenSampling.draw(p, temperature: 0.5, u: 0.84), 2)
            XCTAssertEqual(TokenSampling.draw(p, temperature: 0, u: 0.99), 0)
        }
        let ties: [Float] = [1, 3, 3, -.infinity]
        ties.withUnsafeBufferPointer { XCTAssertEqual(TokenSampling.draw($0, temperature: 0, u: 0), 1, "ties to the lower id") }
        ties.withUnsafeBufferPointer { XCTAssertEqual(TokenSampling.draw($0, temperature: 1, u: 0.999999), 2, "-inf never drawn") }
    }

    func testBadPromptsThrow() throws {
        let model = try TinyLlama.model(TinyLlama.config(), seed: 13).resident()
        XCTAssertThrowsError(try model.sample(prompts: [[1, 2], [3]], length: 8, temperature: 1, seed: 0)) {
            guard case .unsupportedConfig(field: "sequence length", value: 1, _)? = $0 as? LlamaError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try model.sample(prompts: [[1, 2, 3]], length: 3, temperature: 1, seed: 0)) {
            guard case .unsupportedConfig(field: "prompt length", value: 3, _)? = $0 as? LlamaError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try model.sample(prompts: [], length: 3, temperature: 1, seed: 0))
        XCTAssertThrowsError(try model.sample(prompts: [[1, 99]], length: 4, temperature: 1, seed: 0)) {
            XCTAssertEqual($0 as? LlamaError, .tokenOutOfRange(token: 99, vocabSize: 40))
        }
    }
}
