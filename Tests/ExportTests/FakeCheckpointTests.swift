import Foundation
import TensorCore
@testable import Export
@testable import Model
@testable import Quant
import XCTest

/// Fake-quantized checkpoints (HF layout, atomic, overwrite rules) and the plan applier on a tiny model.
final class FakeCheckpointTests: XCTestCase {
    func testCheckpointFromGGUFLayoutReloadsAsTheHuggingFaceTensors() throws {
        let hf = TinyModel.tensors(seed: 3)
        let gguf = try LlamaModel(config: TinyModel.config, source: TinyModel.ggufLayout(hf), ropeLayout: .adjacentPairs)
        let out = TinyModel.temporaryFolder("layout")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try CheckpointWriter.writeFake(model: gguf, ropeLayout: .adjacentPairs, replacements: [:], to: out,
                                       overwrite: false, dtype: .f32, extraFiles: ["note.txt": Data("x".utf8)])
        let opened = try ModelLoader.open(out)
        XCTAssertEqual(opened.config, TinyModel.config)
        XCTAssertEqual(opened.ropeLayout, .rotateHalf)
        for info in hf.tensorInfos {
            XCTAssertEqual(try opened.tensors.floats(info.name), try hf.floats(info.name), info.name)
        }
        let reloaded = try LlamaModel(config: opened.config, source: opened.tensors, ropeLayout: opened.ropeLayout)
        let tokens = [TinyModel.tokens(12, seed: 5)]
        let a = try reloaded.logits(sequences: tokens), b = try gguf.logits(sequences: tokens)
        for i in a.data.indices { XCTAssertEqual(a.data[i], b.data[i], accuracy: 1e-4) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent("note.txt")))
    }

    func testNonEmptyOutputNeedsOverwrite() throws {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(), ropeLayout: .rotateHalf)
        let out = TinyModel.temporaryFolder("overwrite")
        defer { try? FileManager.default.removeItem(atPath: out) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("old.txt")))
        XCTAssertThrowsError(try CheckpointWriter.writeFake(model: model, ropeLayout: .rotateHalf, replacements: [:],
                                                            to: out, overwrite: false)) {
            XCTAssertEqual($0 as? ExportError, .outputExists(path: out))
            XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("--overwrite") ?? false)
        }
        try CheckpointWriter.writeFake(model: model, ropeLayout: .rotateHalf, replacements: [:], to: out, overwrite: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(files, ["config.json", "model.safetensors"])
        let siblings = try FileManager.default.contentsOfDirectory(atPath: (out as NSString).deletingLastPathComponent)
        XCTAssertFalse(siblings.contains { $0.hasPrefix(".\((out as NSString).lastPathComponent).tmp") })
    }

    /// int3/g32 on every layer: SignRound never loses to RTN per layer and wins on most, and the
    /// replaced weights are the ones written.
    func testPlanApplierBeatsRoundToNearestPerLayer() throws {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 9), ropeLayout: .rotateHalf)
        var formats: [LayerID: QuantFormat] = [:]
        for b in 0..<2 { for k in LinearKind.allCases { formats[LayerID(block: b, kind: k)] = try QuantFormat(parsing: "int3/g32") } }
        formats[LayerID(block: 1, kind: .down)] = .fp8
        let windows = (0..<6).map { TinyModel.tokens(24, seed: 100 + UInt64($0)) }
        var options = QuantizeOptions()
        options.signRound.iterations = 80
        var lines: [String] = []
        let result = try PlanApplier(model: model, formats: formats, options: options).run(windows: windows) { lines.append($0) }
        XCTAssertEqual(result.stats.count, 14)
        XCTAssertEqual(lines.count, 14)
        XCTAssertTrue(lines.last!.contains("ETA 0 s"), lines.last!)
        for s in result.stats { XCTAssertLessThanOrEqual(s.signRoundError, s.rtnError, s.name) }
        let tuned = result.stats.filter { $0.iterations > 0 }
        XCTAssertEqual(tuned.count, 13)
        XCTAssertGreaterThanOrEqual(tuned.filter { $0.signRoundError < $0.rtnError }.count, 12)
        let fp8 = try XCTUnwrap(result.stats.first { $0.name == "model.layers.1.mlp.down_proj" })
        XCTAssertEqual(fp8.format, "fp8")
        XCTAssertEqual(fp8.signRoundError, fp8.rtnError)

        var rtnOptions = options
        rtnOptions.method = .rtnPlain
        let rtn = try PlanApplier(model: model, formats: formats, options: rtnOptions).run(windows: windows)
        let q0 = LayerID(block: 0, kind: .q)
        let w = try model.loadBlock(0)[.q]
        XCTAssertEqual(rtn.weights[q0], try QuantFormat(parsing: "int3/g32").quantizer.fakeQuantize(w))
        XCTAssertNotEqual(rtn.weights[q0], result.weights[q0])
        XCTAssertTrue(rtn.stats.allSatisfy { $0.iterations == 0 && $0.signRoundError == $0.rtnError })

        // A Gram cache filled by one run serves the next without forwards and changes nothing.
        let cache = CalibrationGramCache(windows: windows)
        let filling = try PlanApplier(model: model, formats: formats, options: options).run(windows: windows, gramCache: cache)
        XCTAssertEqual(cache.hits, 0)
        let served = try PlanApplier(model: model, formats: formats, options: options).run(windows: windows, gramCache: cache)
        XCTAssertEqual(cache.hits, 1)
        for (id, w) in result.weights {
            XCTAssertEqual(filling.weights[id], w, "\(id)")
            XCTAssertEqual(served.weights[id], w, "\(id)")
        }
        XCTAssertEqual(served.stats.map(\.rtnError), result.stats.map(\.rtnError))
        // Other windows are not served from it.
        _ = try PlanApplier(model: model, formats: formats, options: rtnOptions).run(windows: Array(windows.dropLast()), gramCache: cache)
        XCTAssertEqual(cache.hits, 1)
    }

    func testPlanNamesAreResolvedOrRejected() throws {
        XCTAssertThrowsError(try PlanFormats.load("/nonexistent/plan.json")) {
            guard case .unreadablePlan(let file, _)? = $0 as? PlanExportError else { return XCTFail("\($0)") }
            XCTAssertEqual(file, "/nonexistent/plan.json")
        }
        XCTAssertEqual(CheckpointWriter.rotateHalfRows([0, 1, 2, 3, 4, 5, 6, 7], heads: 2, headDim: 4),
                       [0, 2, 1, 3, 4, 6, 5, 7])
    }
}

/// Calibration streams: skipped window starts leave exactly their own tokens' contributions out.
final class CalibrationStreamsTests: XCTestCase {
    func testSkippedPositionsRemoveExactlyTheFirstTokens() throws {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 4), ropeLayout: .rotateHalf)
        let windows = (0..<3).map { TinyModel.tokens(10, seed: 40 + UInt64($0)) }
        let weights = try model.loadBlock(0)
        let all = try CalibrationStreams(model: model, windows: windows, quantizedInput: true).grams(block: 0, weights: weights)
        let skipped = try CalibrationStreams(model: model, windows: windows, quantizedInput: true, skippedPositions: 1)
            .grams(block: 0, weights: weights)
        // Causal attention: a window's first position computes the same activations alone.
        let firsts = try CalibrationStreams(model: model, windows: windows.map { [$0[0]] }, quantizedInput: true)
            .grams(block: 0, weights: weights)
        for site in LinearInputSite.allCases {
            XCTAssertEqual(all[site]!.tokens, 30)
            XCTAssertEqual(skipped[site]!.tokens, 27)
            let a = all[site]!, s = skipped[site]!, f = firsts[site]!
            // Every statistic is a sum over tokens: all - skipped = the first tokens alone.
            var sums = [(a.quantized!, s.quantized!, f.quantized!)]
            if let original = a.original, let cross = a.cross {
                sums += [(original, s.original!, f.original!), (cross, s.cross!, f.cross!)]
            }
            for kind in site.layers {
                guard let terms = a.outputTerms[kind] else { continue }
                sums.append((terms.crossTerm, s.outputTerms[kind]!.crossTerm, f.outputTerms[kind]!.crossTerm))
                XCTAssertEqual(terms.constant - s.outputTerms[kind]!.constant, f.outputTerms[kind]!.constant,
                               accuracy: 1e-6 * max(1, terms.constant), "\(kind)")
            }
            XCTAssertEqual(sums.count, site == .mlpHidden ? 2 : 3, "\(site): down's terms come from its outputs")
            for (ma, ms, mf) in sums {
                for i in ma.data.indices {
                    XCTAssertEqual(ma.data[i] - ms.data[i], mf.data[i], accuracy: 1e-4 * max(1, abs(ma.data[i])), "\(site)")
                }
            }
        }
        XCTAssertThrowsError(try CalibrationStreams(model: model, windows: windows, quantizedInput: false, skippedPositions: 10))
    }

    /// Where E and c0 come from down's outputs, they equal W (Hqq - Hxq) and ||(Xq - X) W^T||^2 summed
    /// in Double over the kept positions of streams that differ (block 0 advanced with down scaled by
    /// 1.1), across chunks of one window.
    func testOutputTermsEqualTheGramFormOnDivergedStreams() throws {
        let model = try LlamaModel(config: TinyModel.config, source: TinyModel.tensors(seed: 5), ropeLayout: .rotateHalf)
        let L = 12, skip = 2
        let windows = (0..<2).map { TinyModel.tokens(L, seed: 60 + UInt64($0)) }
        let streams = try CalibrationStreams(model: model, windows: windows, quantizedInput: true, samplesPerChunk: 1,
                                             skippedPositions: skip)
        XCTAssertTrue(streams.termsFromOutputs(.mlpHidden))  // 2 x 64 outputs < 3 x 128 inputs
        XCTAssertFalse(streams.termsFromOutputs(.attentionInput))  // 2 x (64 + 32 + 32) outputs > 3 x 64
        XCTAssertFalse(streams.termsFromOutputs(.attentionOutput))
        let first = try model.loadBlock(0)
        _ = streams.grams(block: 0, weights: first)
        var scaled = first
        scaled[.down] = Matrix(rows: first[.down].rows, cols: first[.down].cols, data: first[.down].data.map { 1.1 * $0 })
        streams.advanceQuantized(block: 0, weights: scaled)
        let second = try model.loadBlock(1)
        func downInputs(_ hidden: Matrix) -> [Float] {
            var h = hidden, inputs: [Float] = []
            model.forwardBlock(index: 1, weights: second, hidden: &h, sequenceLength: L) { site, x, _, _ in
                if site == .mlpHidden { inputs = Array(x) }
            }
            return inputs
        }
        let x = downInputs(streams.original), xq = downInputs(streams.quantized!)
        let terms = try XCTUnwrap(streams.grams(block: 1, weights: second)[.mlpHidden]?.outputTerms[.down])
        let w = second[.down], n = w.cols
        var e = [Double](repeating: 0, count: w.rows * n), c0 = 0.0
        for t in 0..<(windows.count * L) where t % L >= skip {
            for o in 0..<w.rows {
                var d = 0.0  // row o of (Xq - X) W^T at token t
                for i in 0..<n { d += Double(w[o, i]) * Double(xq[t * n + i] - x[t * n + i]) }
                c0 += d * d
                for j in 0..<n { e[o * n + j] += d * Double(xq[t * n + j]) }
            }
        }
        let largest = e.map(abs).max()!
        XCTAssertGreaterThan(c0, 1e-3, "the streams differ")
        XCTAssertEqual(terms.constant, c0, accuracy: 1e-4 * c0)
        for k in e.indices { XCTAssertEqual(Double(terms.crossTerm.data[k]), e[k], accuracy: 1e-4 * largest) }
    }
}
