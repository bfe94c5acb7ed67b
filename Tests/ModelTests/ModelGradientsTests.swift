import XCTest
import TensorCore
import TestSupport
@testable import Model

/// The reverse pass against central differences of a Double reference loss (`ReferenceLoss`) on
/// tiny seeded models: linear weights of every kind in every block, every norm weight, an embedding
/// row, the LM head (tied and untied), Qwen2 biases and Qwen3 head norms, both RoPE layouts and GQA.
final class ModelGradientsTests: XCTestCase {
    /// Largest relative error seen by the checks of the current test (printed at its end).
    private var worstRelative = 0.0
    private var checks = 0

    override func tearDown() {
        if checks > 0 { print("gradient checks: \(checks), worst relative error \(worstRelative)") }
        super.tearDown()
    }

    struct Run {
        let config: ModelConfig
        let layout: RopeLayout
        let parameters: ReferenceLoss.Parameters
        let windows: [[Int]]
        let result: GradientResult
        let layers: [LayerID: LayerGradients]
    }

    static func run(_ c: ModelConfig, layout: RopeLayout, seed: UInt64 = 5, length: Int = 7, count: Int = 2,
                    wanting: Set<GradientKind> = Set(GradientKind.allCases)) throws -> Run {
        let t = TinyLlama.tensors(c, seed: seed)
        let model = try LlamaModel(config: c, source: t, ropeLayout: layout)
        let windows = (0..<count).map { TinyLlama.tokens(length, vocab: c.vocabSize, seed: seed + 1 + UInt64($0)) }
        var layers: [LayerID: LayerGradients] = [:]
        let result = try ModelGradients.compute(model: model, windows: windows, wanting: wanting) { layers[$0] = $1 }
        return Run(config: c, layout: layout, parameters: try ReferenceLoss.parameters(t), windows: windows,
                   result: result, layers: layers)
    }

    /// Central difference of the Double reference loss at one parameter entry (step 1e-4).
    static func centralDifference(_ r: Run, _ name: String, _ index: Int) -> Double {
        let h = 1e-4
        var p = r.parameters
        p[name]![index] += h
        let plus = ReferenceLoss.meanNLL(r.config, p, windows: r.windows, layout: r.layout)
        p[name]![index] -= 2 * h
        let minus = ReferenceLoss.meanNLL(r.config, p, windows: r.windows, layout: r.layout)
        return (plus - minus) / (2 * h)
    }

    /// The `count` entries of largest |gradient| (well conditioned): relative error below 1e-3.
    func checkLargest(_ r: Run, _ name: String, _ grad: [Float], count: Int = 3,
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(grad.count, r.parameters[name]?.count, name, file: file, line: line)
        let picks = grad.indices.sorted { abs(grad[$0]) > abs(grad[$1]) }.prefix(count)
        for i in picks {
            let fd = Self.centralDifference(r, name, i)
            XCTAssertGreaterThan(abs(fd), 1e-5, "\(name)[\(i)] has no gradient to check", file: file, line: line)
            worstRelative = max(worstRelative, abs(Double(grad[i]) - fd) / abs(fd))
            checks += 1
            XCTAssertLessThan(abs(Double(grad[i]) - fd) / abs(fd), 1e-3, "\(name)[\(i)]: \(grad[i]) vs \(fd)",
                              file: file, line: line)
        }
    }

    /// Every entry of `indices`: error below 1e-3 of the largest |central difference| among them.
    func checkAll(_ r: Run, _ name: String, _ grad: [Float], indices: Range<Int>? = nil,
                  file: StaticString = #filePath, line: UInt = #line) {
        let range = indices ?? 0..<grad.count
        let fd = range.map { Self.centralDifference(r, name, $0) }
        let scale = fd.map(abs).max()!
        XCTAssertGreaterThan(scale, 1e-5, "\(name) has no gradient to check", file: file, line: line)
        let worst = zip(range, fd).map { abs(Double(grad[$0]) - $1) }.max()!
        worstRelative = max(worstRelative, worst / scale)
        checks += range.count
        XCTAssertLessThan(worst / scale, 1e-3, "\(name): worst error \(worst) of scale \(scale)", file: file, line: line)
    }

    func checkBlocks(_ r: Run, file: StaticString = #filePath, line: UInt = #line) {
        for b in 0..<r.config.numHiddenLayers {
            for kind in LinearKind.allCases {
                let id = LayerID(block: b, kind: kind)
                checkLargest(r, id.weightName, r.layers[id]!.weight!.data, file: file, line: line)
            }
            let norms = r.result.norms[b]
            checkAll(r, "model.layers.\(b).input_layernorm.weight", norms.inputNorm, file: file, line: line)
            checkAll(r, "model.layers.\(b).post_attention_layernorm.weight", norms.postAttentionNorm, file: file, line: line)
        }
        let head = r.result.head!
        checkAll(r, "model.norm.weight", head.finalNorm, file: file, line: line)
        let h = r.config.hiddenSize, token = r.windows[0][2]
        checkAll(r, "model.embed_tokens.weight", head.embedding.data, indices: (token * h)..<((token + 1) * h),
                 file: file, line: line)
        if let lmHead = head.lmHead {
            checkLargest(r, "lm_head.weight", lmHead.data, file: file, line: line)
        } else {
            checkLargest(r, "model.embed_tokens.weight", head.embedding.data, file: file, line: line)
        }
    }

    func testRotateHalfUntiedGroupedQueryGradientsMatchCentralDifferences() throws {
        let r = try Self.run(TinyLlama.config(heads: 4, kvHeads: 2), layout: .rotateHalf)
        XCTAssertNotNil(r.result.head?.lmHead)
        checkBlocks(r)
    }

    func testAdjacentPairsTiedHeadGradientsMatchCentralDifferences() throws {
        let r = try Self.run(TinyLlama.config(tied: true), layout: .adjacentPairs, seed: 9)
        XCTAssertNil(r.result.head?.lmHead)
        checkBlocks(r)
    }

    func testQwen2BiasGradientsMatchCentralDifferences() throws {
        let r = try Self.run(TinyLlama.config("qwen2"), layout: .rotateHalf, seed: 13)
        checkBlocks(r)
        for b in 0..<r.config.numHiddenLayers {
            for kind in [LinearKind.q, .k, .v] {
                let id = LayerID(block: b, kind: kind)
                checkAll(r, id.description + ".bias", r.layers[id]!.bias!)
            }
            XCTAssertNil(r.layers[LayerID(block: b, kind: .o)]!.bias)
        }
    }

    func testQwen3HeadNormGradientsMatchCentralDifferences() throws {
        let r = try Self.run(TinyLlama.config("qwen3", headDim: 8), layout: .rotateHalf, seed: 17)
        checkBlocks(r)
        for b in 0..<r.config.numHiddenLayers {
            checkAll(r, "model.layers.\(b).self_attn.q_norm.weight", r.result.norms[b].qNorm!)
            checkAll(r, "model.layers.\(b).self_attn.k_norm.weight", r.result.norms[b].kNorm!)
        }
    }

    /// A 150-token window spans two attention query tiles (128 + 22 rows): the tiled causal reverse
    /// pass must match the untiled reference.
    func testLongWindowAcrossQueryTilesMatchesCentralDifferences() throws {
        let r = try Self.run(TinyLlama.config(layers: 1), layout: .adjacentPairs, seed: 21, length: 150, count: 1)
        for kind in [LinearKind.q, .k, .v, .o] {
            let id = LayerID(block: 0, kind: kind)
            checkLargest(r, id.weightName, r.layers[id]!.weight!.data, count: 1)
        }
        checkAll(r, "model.layers.0.input_layernorm.weight", r.result.norms[0].inputNorm, indices: 0..<2)
    }
}
