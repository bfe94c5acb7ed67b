import XCTest
import TensorCore
import TestSupport
@testable import Model

/// The distillation reverse pass (mean KL(teacher || student) over every position) against central
/// differences of a Double reference on tiny seeded models: the student is the teacher with every
/// linear weight perturbed, so the KL and its gradient are far from zero.
final class ModelDistillationTests: XCTestCase {
    struct Run {
        let config: ModelConfig
        let teacher: ReferenceLoss.Parameters
        let student: ReferenceLoss.Parameters
        let windows: [[Int]]
        let result: DistillationResult
        let layers: [LayerID: LayerGradients]
    }

    static func run(_ c: ModelConfig, seed: UInt64, length: Int = 6, count: Int = 2) throws -> Run {
        let t = TinyLlama.tensors(c, seed: seed)
        let model = try LlamaModel(config: c, source: t, ropeLayout: .rotateHalf)
        let head = try model.loadHead()
        let original = try (0..<c.numHiddenLayers).map { try model.loadBlock($0) }
        let windows = (0..<count).map { TinyLlama.tokens(length, vocab: c.vocabSize, seed: seed + 1 + UInt64($0)) }
        let teacherHidden = try ResidentLlama(architecture: model.architecture, head: head, blocks: original)
            .hiddenStates(sequences: windows)
        var rng = SplitMix64(seed: seed + 100)
        var blocks = original
        var student = try ReferenceLoss.parameters(t)
        for b in blocks.indices {
            for kind in LinearKind.allCases {
                var w = blocks[b][kind]
                for i in w.data.indices { w.data[i] += 0.3 * abs(w.data[i]) * (rng.nextUnitFloat() * 2 - 1) }
                blocks[b][kind] = w
                student[LayerID(block: b, kind: kind).weightName] = w.data.map(Double.init)
            }
        }
        var layers: [LayerID: LayerGradients] = [:]
        let result = try ModelDistillation.gradients(architecture: model.architecture, head: head, blocks: blocks,
                                                     windows: windows, teacherHidden: teacherHidden,
                                                     wanting: [.weight, .norms]) { layers[$0] = $1 }
        return Run(config: c, teacher: try ReferenceLoss.parameters(t), student: student, windows: windows,
                   result: result, layers: layers)
    }

    /// Mean over every position of every window of KL(softmax(teacher) || softmax(student)), in Double.
    static func referenceKL(_ r: Run, _ student: ReferenceLoss.Parameters) -> Double {
        var sum = 0.0, count = 0
        for w in r.windows {
            let p = ReferenceLoss.logits(r.config, r.teacher, tokens: w, layout: .rotateHalf)
            let q = ReferenceLoss.logits(r.config, student, tokens: w, layout: .rotateHalf)
            for (a, b) in zip(p, q) {
                let la = logSoftmax(a), lb = logSoftmax(b)
                sum += zip(la, lb).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
                count += 1
            }
        }
        return sum / Double(count)
    }

    static func logSoftmax(_ x: [Double]) -> [Double] {
        let m = x.max()!
        let z = m + log(x.reduce(0) { $0 + exp($1 - m) })
        return x.map { $0 - z }
    }

    static func centralDifference(_ r: Run, _ name: String, _ index: Int) -> Double {
        let h = 1e-4
        var p = r.student
        p[name]![index] += h
        let plus = referenceKL(r, p)
        p[name]![index] -= 2 * h
        let minus = referenceKL(r, p)
        return (plus - minus) / (2 * h)
    }

    func testKLMatchesTheReferenceAndIsZeroForTheTeacherItself() throws {
        let r = try Self.run(TinyLlama.config(heads: 4, kvHeads: 2), seed: 31)
        let reference = Self.referenceKL(r, r.student)
        XCTAssertGreaterThan(reference, 1e-3, "the perturbation moves the distributions")
        XCTAssertEqual(r.result.kl, reference, accuracy: 1e-4 * reference)
        XCTAssertEqual(Self.referenceKL(r, r.teacher), 0, accuracy: 1e-12)
    }

    func testWeightAndNormGradientsMatchCentralDifferences() throws {
        for (config, seed) in [(TinyLlama.config(heads: 4, kvHeads: 2), UInt64(31)), (TinyLlama.config(tied: true), 37)] {
            let r = try Self.run(config, seed: seed)
            for b in 0..<config.numHiddenLayers {
                for kind in LinearKind.allCases {
                    let id = LayerID(block: b, kind: kind)
                    let grad = r.layers[id]!.weight!.data
                    for i in grad.indices.sorted(by: { abs(grad[$0]) > abs(grad[$1]) }).prefix(2) {
                        let fd = Self.centralDifference(r, id.weightName, i)
                        XCTAssertGreaterThan(abs(fd), 1e-6, "\(id)[\(i)] has no gradient to check")
                        XCTAssertEqual(Double(grad[i]), fd, accuracy: 2e-3 * abs(fd), "\(id)[\(i)]")
                    }
                }
                let norm = r.result.norms[b].postAttentionNorm
                let name = "model.layers.\(b).post_attention_layernorm.weight"
                for i in 0..<3 {
                    let fd = Self.centralDifference(r, name, i)
                    XCTAssertEqual(Double(norm[i]), fd, accuracy: 2e-3 * max(abs(fd), 1e-4), "\(name)[\(i)]")
                }
            }
        }
    }

    /// One row's gradient, hand-computed: student logits [0, ln 3, -200] give softmax [1/4, 3/4, 0]
    /// (e^-200 is below Float's range); teacher [ln 3, 0, -95] gives exponentials [1, 1/3, e^-95 / 3],
    /// the last (1.9e-42) subnormal and flushed, so softmax [3/4, 1/4, 0]: dLogits = scale x (s - t)
    /// = 0.5 x [-1/2, 1/2, 0], exactly 0 in the last place; KL = 3/4 ln 3 + 1/4 ln(1/3) = ln 3 / 2.
    func testDistillationRowGradientFlushesSubnormals() {
        var row: [Float] = [0, logf(3), -200]
        var teacher: [Float] = [logf(3), 0, -95]
        let kl = row.withUnsafeMutableBufferPointer { pr in teacher.withUnsafeMutableBufferPointer { pt in
            LlamaArchitecture.distillationGradient(pr.baseAddress!, teacher: pt.baseAddress!, count: 3, scale: 0.5)
        } }
        XCTAssertEqual(kl, log(3.0) / 2, accuracy: 1e-6)
        XCTAssertEqual(row[0], -0.25, accuracy: 1e-6)
        XCTAssertEqual(row[1], 0.25, accuracy: 1e-6)
        XCTAssertEqual(row[2].bitPattern, 0, "a subnormal difference is flushed to +0")
        XCTAssertEqual(teacher[2], 0, "the teacher's subnormal exponential is flushed too")
    }
}
