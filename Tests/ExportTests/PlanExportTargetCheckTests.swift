import Foundation
import XCTest
@testable import Export
@testable import Model
@testable import Formats
@testable import Search

/// `export-plan`'s check of a plan against the runtime of `--to` (without `--approximate`).
final class PlanExportTargetCheckTests: XCTestCase {
    func layer(_ block: Int, _ kind: LinearKind, out: Int, in inputs: Int, _ format: QuantFormat) -> PlanExportLayer {
        let name = "model.layers.\(block).\(kind.modulePath)"
        let linear = LinearLayer(name: name, block: block, kind: kind, outFeatures: out, inFeatures: inputs, storage: .bf16)
        return PlanExportLayer(module: name, weightName: name + ".weight", layer: linear, format: format)
    }

    func testAutoRoundWritesTheStoredGroupAndLoadsTheRest() throws {
        let layers = [layer(0, .q, out: 576, in: 576, "int2/g128"), layer(0, .down, out: 576, in: 1536, "int2/g128"),
                      layer(0, .o, out: 576, in: 576, "bf16")]
        let out = try PlanExportTargetCheck.deployable(layers, target: .autoround, file: "p.json")
        XCTAssertEqual(out.map(\.format), ["int2/g64", "int2/g128", "bf16"])
    }

    func testRefusalNamesTheFirstLayersTheirCountAndWhatTheTargetAccepts() {
        let layers = (0..<5).map { layer($0, .up, out: 1536, in: 576, "nvfp4") } + [layer(5, .q, out: 576, in: 576, "int4/g128")]
        XCTAssertThrowsError(try PlanExportTargetCheck.deployable(layers, target: .autoround, file: "p.json")) { error in
            guard case let PlanExportError.targetCannotHold(file, target, examples, count, accepts) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(file, "p.json")
            XCTAssertEqual(target, "autoround")
            XCTAssertEqual(count, 5)
            XCTAssertEqual(examples, (0..<3).map { "model.layers.\($0).mlp.up_proj (nvfp4): nvfp4 is not loadable (formats int/bf16, with quantized activations mxfp4/nvfp4)" })
            XCTAssertEqual(accepts, DeploymentTarget.autoround.accepts)
            let text = error.localizedDescription
            XCTAssertTrue(text.hasPrefix("Plan 'p.json' has 5 layers autoround cannot load: model.layers.0.mlp.up_proj (nvfp4)"), text)
            XCTAssertTrue(text.contains("and 2 more. autoround accepts: formats int/bf16, with quantized activations mxfp4/nvfp4; symmetric int only;"), text)
            XCTAssertTrue(text.hasSuffix("Search with --target autoround, or pass --approximate to write them anyway."), text)
        }
    }

    func testLLMCompressorRefusesGroup128On576InputsNamingTheGroupThatLoads() {
        let layers = [layer(0, .q, out: 576, in: 576, "int2/g128"), layer(0, .down, out: 576, in: 1536, "int2/g128")]
        XCTAssertThrowsError(try PlanExportTargetCheck.deployable(layers, target: .llmcompressor, file: "p.json")) { error in
            XCTAssertEqual(error as? PlanExportError, .targetCannotHold(
                file: "p.json", target: "llmcompressor",
                examples: ["model.layers.0.self_attn.q_proj (int2/g128): 576 inputs are not a multiple of the group 128; int2/g64 loads"],
                count: 1, accepts: DeploymentTarget.llmcompressor.accepts))
        }
        XCTAssertNoThrow(try PlanExportTargetCheck.deployable([layer(0, .q, out: 576, in: 576, "int2/g64"), layer(0, .k, out: 192, in: 576, "fp8")],
                                                             target: .llmcompressor, file: "p.json"))
    }

    /// `json` is not checked; `llamacpp` is checked against its own target (PlanExportLlamaCppTests).
    func testTargetsWithoutATableAreNotChecked() {
        XCTAssertNil(PlanExportTarget.json.deploymentTarget)
        XCTAssertEqual(PlanExportTarget.llamacpp.deploymentTarget, .llamacpp)
        XCTAssertEqual(PlanExportTarget.autoround.deploymentTarget, .autoround)
        XCTAssertEqual(PlanExportTarget.llmcompressor.deploymentTarget, .llmcompressor)
    }
}
