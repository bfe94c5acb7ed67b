import Foundation
import XCTest
@testable import Export
@testable import Model
@testable import Formats
@testable import Search

/// `export-plan --to llamacpp`: exact tensor types for plans of ggml types and bf16, the refusal of
/// other formats grouped by format, and `--approximate`. The tiny model has 128 inputs everywhere
/// but the down projections (256): only those hold whole k-quant super-blocks.
final class PlanExportLlamaCppTests: XCTestCase {
    func tinyModel() throws -> ModelDescription { try ExportFixtures.model(layout: .adjacentPairs, kind: .gguf) }

    /// Every ggml type and bf16, k-quants on 128 and on 256 inputs.
    func ggmlFormats() -> [String: QuantFormat] {
        let b0: [LinearKind: QuantFormat] = [.q: "q2_K", .k: "q4_K", .v: "q6_K", .o: "q8_0", .gate: "q4_0", .up: "q4_1", .down: "q2_K"]
        let b1: [LinearKind: QuantFormat] = [.q: "bf16", .k: "q3_K", .v: "q5_1", .o: "q6_K", .gate: "q5_K", .up: "q8_0", .down: "q5_K"]
        var f: [String: QuantFormat] = [:]
        for (b, table) in [b0, b1].enumerated() {
            for (kind, format) in table { f["model.layers.\(b).\(kind.modulePath)"] = format }
        }
        return f
    }

    /// The lines, pinned: a k-quant on 128 inputs is written as the type llama-quantize stores (and
    /// the ggml quantizer measured): q2_K and q3_K q4_0, q4_K q5_0, q5_K q5_1, q6_K q8_0; on 256 inputs
    /// as it is.
    /// No other line: llama-quantize reads every token as a pattern.
    func testExactTensorTypesArePinned() throws {
        let model = try tinyModel()
        let text = try PlanExport.render(ExportFixtures.plan(model, formats: ggmlFormats()), target: .llamacpp, model: model,
                                         file: "p.json", deployable: true)
        XCTAssertEqual(text, """
            blk.0.attn_q.weight=q4_0
            blk.0.attn_k.weight=q5_0
            blk.0.attn_v.weight=q8_0
            blk.0.attn_output.weight=q8_0
            blk.0.ffn_gate.weight=q4_0
            blk.0.ffn_up.weight=q4_1
            blk.0.ffn_down.weight=q2_K
            blk.1.attn_q.weight=bf16
            blk.1.attn_k.weight=q4_0
            blk.1.attn_v.weight=q5_1
            blk.1.attn_output.weight=q8_0
            blk.1.ffn_gate.weight=q5_1
            blk.1.ffn_up.weight=q8_0
            blk.1.ffn_down.weight=q5_K

            """)
        // Each pattern, applied as llama-quantize does (lowercased, regex search), selects one tensor: its own.
        let names = model.tensors.tensorInfos.map { GGUFNames.gguf($0.name) }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            XCTAssertEqual(parts.count, 2, String(line))
            let regex = try NSRegularExpression(pattern: parts[0].lowercased())
            XCTAssertEqual(names.filter { regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }, [parts[0]])
        }
    }

    /// Every written type is what llama-quantize stores for that tensor: it replaces nothing.
    func testExactTypesAreTheOnesLlamaQuantizeStores() throws {
        let model = try tinyModel()
        let layers = try PlanExportLayers.resolve(ExportFixtures.plan(model, formats: ggmlFormats()), model: model, file: "p.json")
        for l in layers {
            let written = try XCTUnwrap(PlanExportLlamaCpp.exactType(l))
            if written == "bf16" { continue }
            let type = try XCTUnwrap(GGMLBlockType(rawValue: written))
            XCTAssertEqual(type.llamaCppStored(cols: l.layer.inFeatures), written, l.module)
            // The type the plan's format is measured in (the ggml quantizer's stored type).
            XCTAssertEqual(l.format.ggmlType?.stored(cols: l.layer.inFeatures), type, l.module)
        }
    }

    /// The exact export agrees with the target: a format it writes is one the `llamacpp` target
    /// loads or refuses in favour of that very stored type.
    func testExactTypesAgreeWithTheTarget() throws {
        let formats: [QuantFormat] = GGMLBlockType.allCases.map { .ggml($0) } + QuantFormat.defaultCandidates
        for cols in [40, 96, 128, 256, 576, 1536] {
            let linear = LinearLayer(name: "l", block: 0, kind: .q, outFeatures: 64, inFeatures: cols, storage: .bf16)
            for f in formats {
                let exact = PlanExportLlamaCpp.exactType(PlanExportLayer(module: "l", weightName: "l.weight", layer: linear, format: f))
                switch DeploymentTarget.llamacpp.verdict(f, shape: TensorShape(rows: 64, cols: cols)) {
                case .loads: XCTAssertEqual(exact, f.ggmlType?.name ?? "bf16", "\(f) \(cols)")
                case .storedAs: XCTFail("llamacpp stores nothing as another format")
                case .refused(_, let fallback):
                    if let exact { XCTAssertEqual(fallback?.name, exact, "\(f) \(cols)") }
                    XCTAssertEqual(exact != nil, f.family == .ggml && f.ggmlType?.stored(cols: cols) != nil, "\(f) \(cols)")
                }
            }
        }
    }

    /// Other formats are refused in one line: each format (or a ggml type no stored type holds) with
    /// its layer count and first tensor names, in plan order.
    func testRefusalIsPinned() throws {
        let model = try tinyModel()
        var formats = try ExportFixtures.formats()
        formats["model.layers.1.self_attn.q_proj"] = "q5_K"  // 128 inputs: stored as q5_1, so not refused
        formats["model.layers.1.mlp.down_proj"] = "q6_K"
        let plan = ExportFixtures.plan(model, formats: formats)
        XCTAssertThrowsError(try PlanExport.render(plan, target: .llamacpp, model: model, file: "p.json", deployable: true)) { error in
            XCTAssertEqual(error as? PlanExportError, .notLlamaCppTypes(file: "p.json", count: 12, groups: [
                "int4/g128: 1 layer (blk.0.attn_q.weight)",
                "int3a/g32: 1 layer (blk.0.attn_k.weight)",
                "int2/g64: 1 layer (blk.0.attn_v.weight)",
                "int8/g128: 2 layers (blk.0.attn_output.weight, blk.1.attn_output.weight)",
                "mxfp4: 2 layers (blk.0.ffn_gate.weight, blk.1.ffn_gate.weight)",
                "nvfp4: 2 layers (blk.0.ffn_up.weight, blk.1.ffn_up.weight)",
                "fp8: 2 layers (blk.0.ffn_down.weight, blk.1.attn_k.weight)",
                "int4a/g32: 1 layer (blk.1.attn_v.weight)",
            ]))
            XCTAssertEqual(error.localizedDescription, """
                Plan 'p.json' has 12 layers llama.cpp cannot store as planned (it stores ggml block types in whole blocks of the row, and bf16): \
                int4/g128: 1 layer (blk.0.attn_q.weight); int3a/g32: 1 layer (blk.0.attn_k.weight); int2/g64: 1 layer (blk.0.attn_v.weight); \
                int8/g128: 2 layers (blk.0.attn_output.weight, blk.1.attn_output.weight); mxfp4: 2 layers (blk.0.ffn_gate.weight, blk.1.ffn_gate.weight); \
                nvfp4: 2 layers (blk.0.ffn_up.weight, blk.1.ffn_up.weight); fp8: 2 layers (blk.0.ffn_down.weight, blk.1.attn_k.weight); \
                int4a/g32: 1 layer (blk.1.attn_v.weight). \
                Search with --target llamacpp, or pass --approximate to write the nearest ggml types.
                """)
        }
    }

    /// More than three layers of one format: the first three names and "...".
    func testRefusalNamesTheFirstThreeLayersOfAFormat() throws {
        let model = try tinyModel()
        var formats = ggmlFormats()
        for kind in [LinearKind.q, .k, .v, .o] { formats["model.layers.1.\(kind.modulePath)"] = try .int(bits: 2, groupSize: 64) }
        XCTAssertThrowsError(try PlanExport.render(ExportFixtures.plan(model, formats: formats), target: .llamacpp, model: model,
                                                   file: "p.json", deployable: true)) { error in
            XCTAssertEqual(error as? PlanExportError, .notLlamaCppTypes(file: "p.json", count: 4, groups: [
                "int2/g64: 4 layers (blk.1.attn_q.weight, blk.1.attn_k.weight, blk.1.attn_v.weight, ...)"]))
        }
    }

    /// `--approximate`: the nearest ggml type the row holds, still one line per layer and nothing else.
    func testApproximateIsPinned() throws {
        let model = try tinyModel()
        var formats = try ExportFixtures.formats()
        formats["model.layers.1.self_attn.q_proj"] = "q5_K"
        let text = try PlanExport.render(ExportFixtures.plan(model, formats: formats), target: .llamacpp, model: model, file: "p.json")
        XCTAssertEqual(text, """
            blk.0.attn_q.weight=q5_0
            blk.0.attn_k.weight=q4_0
            blk.0.attn_v.weight=q4_0
            blk.0.attn_output.weight=q8_0
            blk.0.ffn_gate.weight=mxfp4
            blk.0.ffn_up.weight=mxfp4
            blk.0.ffn_down.weight=q8_0
            blk.1.attn_q.weight=q5_1
            blk.1.attn_k.weight=q8_0
            blk.1.attn_v.weight=q5_0
            blk.1.attn_output.weight=q8_0
            blk.1.ffn_gate.weight=mxfp4
            blk.1.ffn_up.weight=mxfp4
            blk.1.ffn_down.weight=q8_0

            """)
    }
}
