import XCTest
import TensorCore
import TestSupport
@testable import Model

final class EvaluationTests: XCTestCase {
    private let config = TinyLlama.config()

    /// PPL by hand: windows [0,8) and [8,16) of 19 tokens (the 3-token tail is dropped); NLL from the
    /// scalar Double reference over positions 0..6 of each window.
    func testPerplexityFollowsTheWindowProtocol() throws {
        let t = TinyLlama.tensors(config, seed: 2)
        let model = try LlamaModel(config: config, source: t, ropeLayout: .rotateHalf).resident()
        let text = TinyLlama.tokens(19, vocab: config.vocabSize, seed: 6)
        var nll = 0.0
        for w in 0..<2 {
            let window = Array(text[(w * 8)..<(w * 8 + 8)])
            let logits = try ReferenceLoss.logits(config, t, tokens: window)
            for i in 0..<7 {
                let lz = log(logits[i].map { exp($0) }.reduce(0, +))
                nll += lz - logits[i][window[i + 1]]
            }
        }
        let r = try Evaluation.run(model: model, tokens: text, ctx: 8)
        XCTAssertEqual(r.windows, 2)
        XCTAssertEqual(r.tokens, 14)
        XCTAssertEqual(r.ppl, exp(nll / 14), accuracy: 1e-4 * exp(nll / 14))
        XCTAssertEqual(r.runningPPL.count, 2)
        XCTAssertNil(r.kl)
        let one = try Evaluation.run(model: model, tokens: text, ctx: 8, windows: 1)
        XCTAssertEqual(one.runningPPL[0], r.runningPPL[0])
    }

    func testAgainstItselfGivesZeroKLAndFullAgreement() throws {
        let model = try TinyLlama.model(config, seed: 2).resident()
        let text = TinyLlama.tokens(30, vocab: config.vocabSize, seed: 6)
        let r = try Evaluation.run(model: model, tokens: text, ctx: 10, against: model)
        XCTAssertEqual(r.kl, 0)
        XCTAssertEqual(r.top1Agree, 1)
    }

    /// KL and top-1 agreement against another model, by hand from both models' logits in Double.
    func testKLAndAgreementAgainstAnotherModel() throws {
        let a = try TinyLlama.model(config, seed: 2).resident()
        let b = try TinyLlama.model(config, seed: 3).resident()
        let text = TinyLlama.tokens(12, vocab: config.vocabSize, seed: 6)
        let pa = try a.logits(sequences: [text]), pb = try b.logits(sequences: [text])
        var kl = 0.0, agree = 0.0
        for i in 0..<11 {
            let p = pb.row(i).map(Double.init), q = pa.row(i).map(Double.init)
            let lzp = log(p.map { exp($0) }.reduce(0, +)), lzq = log(q.map { exp($0) }.reduce(0, +))
            kl += zip(p, q).reduce(0) { $0 + exp($1.0 - lzp) * (($1.0 - lzp) - ($1.1 - lzq)) }
            agree += p.indices.max { p[$0] < p[$1] } == q.indices.max { q[$0] < q[$1] } ? 1 : 0
        }
        let r = try Evaluation.run(model: a, tokens: text, ctx: 12, against: b)
        XCTAssertEqual(r.kl!, kl / 11, accuracy: 1e-5)
        XCTAssertGreaterThan(r.kl!, 0.01)
        XCTAssertEqual(r.top1Agree!, agree / 11, accuracy: 1e-12)
        // The original's perplexity comes from the same passes and equals evaluating it alone.
        let alone = try Evaluation.run(model: b, tokens: text, ctx: 12)
        XCTAssertEqual(r.originalPPL!, alone.ppl, accuracy: 1e-9 * alone.ppl)
        XCTAssertNotEqual(r.originalPPL!, r.ppl)
        XCTAssertNil(alone.originalPPL)
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        XCTAssertTrue(json.contains("\"top1_agree\""))
        XCTAssertFalse(json.contains("runningPPL"))
    }

    func testTextShorterThanOneWindowThrows() throws {
        let model = try TinyLlama.model(config).resident()
        XCTAssertThrowsError(try Evaluation.run(model: model, tokens: [1, 2, 3], ctx: 8)) {
            XCTAssertEqual($0 as? LlamaError, .textTooShort(tokens: 3, needed: 8))
            XCTAssertEqual(($0 as? LocalizedError)?.errorDescription,
                           "The text has 3 tokens, fewer than the 8 its windows need.")
        }
        XCTAssertThrowsError(try Evaluation.run(model: model, tokens: Array(0..<20), ctx: 8, windows: 3)) {
            XCTAssertEqual($0 as? LlamaError, .textTooShort(tokens: 20, needed: 24))
        }
    }
}
