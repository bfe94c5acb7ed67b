import XCTest
import Model
import Formats
import TensorCore
@testable import Sensitivity

/// Validation plans and the measured KL they are compared against.
final class PlanValidationTests: XCTestCase {
    private let config = TinyProfileModel.config()
    private lazy var tensors = TinyProfileModel.tensors(config)
    private var formats: [QuantFormat] = []

    override func setUpWithError() throws {
        formats = try ProfilerOptions.parseFormats("int2/g32,int3/g32,int4/g32,int8/g32")
    }

    private func options(plans: Int) -> ProfilerOptions {
        ProfilerOptions(formats: formats, estimator: .calibrated, sampleCount: 4, sequenceLength: 24, seed: 3,
                        probeWindows: 2, probeLength: 16, probeFormat: formats[1], validationPlans: plans,
                        validationWindows: 2, validationBits: 2.5...4.5)
    }

    /// Fused siblings share a format, plan averages land within one group step of their targets,
    /// and the same seed draws the same plans.
    func testPlansRespectFusedGroupsAndTargets() throws {
        let model = try TinyProfileModel.model(config, tensors: tensors)
        let profiler = try SensitivityProfiler(model: model, options: options(plans: 0))
        let split = try profiler.split(tokens: TinyProfileModel.tokens(400, vocab: 50), file: "t")
        var clock = StageClock()
        let layers = try profiler.capture(windows: split.calibration, ids: try profiler.options.selectedLayers(of: config),
                                          clock: &clock, progress: nil)
        let validator = PlanValidator(model: model, formats: formats, planFormats: formats, bitRange: 2.5...4.5, seed: 3)
        let plans = validator.drawPlans(count: 12, layers: layers)
        XCTAssertEqual(plans, validator.drawPlans(count: 12, layers: layers))
        let weights = Double(layers.reduce(0) { $0 + $1.shape.count })
        // Largest one-step change of a group: gate+up (2 x 64 x 32) from int2 to int3 = 4096 codes bits.
        let step = 4096.0 / weights
        for plan in plans {
            XCTAssertTrue((2.5...4.5).contains(plan.target))
            XCTAssertEqual(plan.averageBits, plan.target, accuracy: step + 1e-9)
            let bits = layers.indices.reduce(0.0) { $0 + Double(layers[$1].bits[plan.choices[$1]].storage) } / weights
            XCTAssertEqual(bits, plan.averageBits, accuracy: 1e-12)
            for b in 0..<2 {
                let l = b * 7
                XCTAssertEqual(plan.choices[l], plan.choices[l + 1])
                XCTAssertEqual(plan.choices[l], plan.choices[l + 2])
                XCTAssertEqual(plan.choices[l + 4], plan.choices[l + 5])
            }
        }
        XCTAssertGreaterThan(Set(plans.map(\.choices)).count, 10, "plans differ")
    }

    /// Each stored point's measured KL is the KL of the whole quantized model on the held-out
    /// windows, recomputed here by two plain forward passes; correlations are recomputed from the points.
    func testValidationPointsAreMeasuredOnHeldOutWindows() throws {
        let tokens = TinyProfileModel.tokens(400, vocab: 50)
        let model = try TinyProfileModel.model(config, tensors: tensors)
        let profiler = try SensitivityProfiler(model: model, options: options(plans: 6))
        let result = try profiler.run(tokens: tokens, identity: TinyProfileModel.identity(config, tensors),
                                      calibrationFile: "t", calibrationSHA256: "0")
        let validation = try XCTUnwrap(result.profile.validation)
        XCTAssertEqual(validation.map(\.estimator), ["output-error", "calibrated", "delta-loss", "fisher", "fisher-kl"])
        let split = try profiler.split(tokens: tokens, file: "t")
        XCTAssertEqual(split.heldOut.count, 2)
        XCTAssertTrue(Set(split.heldOutStarts).isDisjoint(with: split.calibrationStarts))
        let validator = PlanValidator(model: model, formats: formats, planFormats: formats, bitRange: 2.5...4.5, seed: 3)
        let plan = validator.drawPlans(count: 6, layers: result.layers)[0]
        var modified = tensors
        for (id, w) in try validator.quantizedWeights(layers: result.layers, plan: plan) { modified.set(id.weightName, w) }
        let a = try model.logits(sequences: split.heldOut)
        let b = try TinyProfileModel.model(config, tensors: modified).logits(sequences: split.heldOut)
        var kl = 0.0
        for r in 0..<a.rows {
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    let range = (r * a.cols)..<((r + 1) * a.cols)
                    kl += Divergence.kl(reference: UnsafeBufferPointer(rebasing: pa[range]), other: UnsafeBufferPointer(rebasing: pb[range]))
                }
            }
        }
        kl /= Double(a.rows)
        for v in validation {
            XCTAssertEqual(v.points.count, 6)
            XCTAssertEqual(v.points[0].measured, kl, accuracy: 1e-4 * kl)
            XCTAssertEqual(v.points[0].averageBits, plan.averageBits)
            XCTAssertEqual(v.spearman, Correlation.spearman(v.points.map(\.predicted), v.points.map(\.measured)))
            XCTAssertEqual(v.pearson, Correlation.pearson(v.points.map(\.predicted), v.points.map(\.measured)))
        }
        let calibrated = validation[1].points[0].predicted
        let expected = plan.choices.enumerated().reduce(0.0) { $0 + result.scores[.calibrated]![$1.offset][$1.element] }
        XCTAssertEqual(calibrated, expected, accuracy: 1e-12 * expected)
    }
}
