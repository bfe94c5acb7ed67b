import Foundation
import Search
import Sensitivity
import XCTest
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Report

final class ReportRenderTests: XCTestCase {
    func testAnalysisBaselinesAndRankingByHand() {
        let profile = Fixtures.tinyProfile()
        let searched = ReportAnalysis(profile: profile, counting: .storage, scope: .searched)
        XCTAssertEqual(searched.baselines.map(\.format), ["int2/g128", "int4/g128", "bf16"])
        // 4 layers x 80 bits / 128 weights; 4 x 144 / 128; 16
        XCTAssertEqual(searched.baselines.map(\.averageBits), [2.5, 4.5, 16])
        XCTAssertEqual(searched.baselines[0].predictedLoss, 0.75, accuracy: 1e-12)
        XCTAssertEqual(searched.baselines[1].predictedLoss, 0.075, accuracy: 1e-12)
        XCTAssertEqual(searched.baselines[2].predictedLoss, 0)
        XCTAssertEqual(searched.referenceFormat, 0)
        XCTAssertEqual(searched.ranking, [0, 2, 1, 3])
        XCTAssertEqual(searched.formats.map(\.zeroLayers), [0, 0, 4])
        XCTAssertEqual(searched.formats.map(\.isExactOnModel), [false, false, false])
        // whole model: (320 + 1024) / (128 + 64) = 7
        let model = ReportAnalysis(profile: profile, counting: .storage, scope: .model)
        XCTAssertEqual(model.baselines[0].averageBits, 7, accuracy: 1e-12)
        XCTAssertEqual(model.baselines[2].averageBits, (2048.0 + 1024) / 192, accuracy: 1e-12)
    }

    func testHTMLIsWellFormedXMLAndNamesEveryLayer() throws {
        let profile = Fixtures.tinyProfile()
        let plan = try Fixtures.tinyPlan(profile)
        XCTAssertEqual(plan.achieved.searchedBits, 448)
        XCTAssertEqual(plan.predictedLoss, 0.21, accuracy: 1e-12)
        let sweep = try PlanSearch.sweep(profile: profile, options: SearchOptions(averageBits: 3, sharing: SharingRule.none),
                                         targets: [2.5, 3, 3.5, 4, 4.5])
        let evals = [EvalResult(label: "rtn <3.5>", averageBits: 3.5, ppl: 24.3, kl: 0.2, top1Agree: 0.81,
                                tokens: 4088, ctx: 512, windows: 8)]
        let input = ReportInput(profile: profile, plans: [LabeledPlan(label: "3.5 & up", plan: plan)], sweep: sweep,
                                evals: evals, note: "note with <markup> & \"quotes\"")
        let html = ReportDocument(input: input).html()
        let check = XMLCheck.parse(html)
        XCTAssertNil(check.error, "report.html is not well-formed XML: \(String(describing: check.error))")
        for layer in profile.layers {
            XCTAssertTrue(check.text.contains(layer.name), "layer \(layer.name) missing from the HTML")
        }
        XCTAssertFalse(html.contains("<&\"'>"), "the tricky name must be escaped in the markup")
        XCTAssertTrue(html.contains("down_proj&lt;&amp;&quot;&#39;&gt;.weight"))
        XCTAssertTrue(check.text.contains("note with <markup> & \"quotes\""))
        XCTAssertEqual(check.elements["script"], nil, "the report must work without JavaScript")
        // bf16 column: one hatched cell per layer, plus the legend swatch
        XCTAssertEqual(html.components(separatedBy: "fill=\"url(#zero-hatch)\"").count - 1, 4 + 1)
        // budget accounting by hand: 2 x 80 + 2 x 144 = 448 bits over 128 weights; + 1024 fixed bits
        XCTAssertTrue(check.text.contains("448 of 448 bits used (100 %)"))
        XCTAssertTrue(check.text.contains("rtn <3.5>"))
        XCTAssertTrue(check.text.contains("81.0 %"))
        XCTAssertEqual(check.elements["section"], 7)
    }

    func testMarkdownCarriesTheTables() throws {
        let profile = Fixtures.tinyProfile()
        let plan = try Fixtures.tinyPlan(profile)
        let md = ReportDocument(input: ReportInput(profile: profile, plans: [LabeledPlan(label: "p", plan: plan)])).markdown()
        XCTAssertTrue(md.contains("[report.html](report.html)"))
        XCTAssertTrue(md.contains("| searched layers | 128 | 448 | 3.50 | 56 B |"), md)
        XCTAssertTrue(md.contains("| whole model | 192 | 1,472 | 7.67 | 184 B |"), md)
        XCTAssertTrue(md.contains("| int2/g128 | 2 | 64 | 50.0 % | 160 | 35.7 % |"), md)
        // heatmap as a top-N table: most sensitive first, scores with three significant digits
        XCTAssertTrue(md.contains("| `model.layers.0.self_attn.q_proj.weight` | 0.400 | 0.0400 | 0 |"), md)
        XCTAssertTrue(md.contains("| int2/g128 | 2.50 | 0.750 |"), md)
        let first = try XCTUnwrap(md.range(of: "model.layers.0.self_attn.q_proj.weight"))
        let second = try XCTUnwrap(md.range(of: "model.layers.1.self_attn.q_proj.weight"))
        XCTAssertLessThan(first.lowerBound, second.lowerBound)
    }

    func testExactFormatCaveatNamesQ41() {
        let profile = Fixtures.tinyProfile(extra: ["int4a/g32"])
        let analysis = ReportAnalysis(profile: profile, counting: .storage, scope: .searched)
        XCTAssertEqual(analysis.formats.map(\.isExactOnModel), [false, false, false, true])
        let html = ReportDocument(input: ReportInput(profile: profile)).html()
        XCTAssertNil(XMLCheck.parse(html).error)
        XCTAssertTrue(html.contains("int4a/g32*"))
        XCTAssertTrue(html.contains("scores exactly 0 on every layer"))
        XCTAssertFalse(html.contains("stored as GGUF Q4_1"), "tiny.gguf is not a Q4_1 file")
        // the default model's file: int4a/g32 is flagged (close to, not on, the Q4_1 grid) whatever its scores
        var q41 = Fixtures.tinyProfile(extra: ["int4a/g32"])
        q41.model.path = "/root/.cache/autoscheme/SmolLM2-135M-Instruct.Q4_1.gguf"
        for i in q41.layers.indices { q41.layers[i].candidates[3].score = 0.001 }
        let q41Doc = ReportDocument(input: ReportInput(profile: q41))
        XCTAssertTrue(q41Doc.context.storedAsQ41)
        XCTAssertTrue(q41Doc.html().contains("int4a/g32*"))
        XCTAssertTrue(q41Doc.html().contains("The model is stored as GGUF Q4_1"))
        XCTAssertFalse(q41Doc.html().contains("scores exactly 0 on every layer"))
        XCTAssertTrue(q41Doc.html().contains("integer zero point"))
        // without int4a/g32 the Q4_1 note still says what the scores are relative to
        q41.formats.removeLast()
        for i in q41.layers.indices { q41.layers[i].candidates.removeLast() }
        let plain = ReportDocument(input: ReportInput(profile: q41)).html()
        XCTAssertTrue(plain.contains("not to the original bf16 weights"))
        XCTAssertFalse(plain.contains("integer zero point"))
        XCTAssertTrue(q41Doc.markdown().contains(#"The model is stored as GGUF Q4\_1"#))
        // an all-zero format at 16 bits per weight is not flagged (fp8 here, its cost set by hand to 512 bits)
        XCTAssertEqual(ReportAnalysis(profile: Fixtures.tinyProfile(extra: ["fp8"], extraBits: 512),
                                      counting: .storage, scope: .searched).formats[3].isExactOnModel, false)
    }

    func testLargeProfilesAggregateByBlockBinAndKind() throws {
        let profile = SyntheticProfile.make(layers: 700, seed: 1)
        let grid = LayerGrid(profile: profile)
        XCTAssertTrue(grid.aggregated)
        XCTAssertEqual(grid.groups.count, 40)
        XCTAssertEqual(grid.groups[0].label, "blocks 0–1")
        XCTAssertEqual(grid.groups[1].label, "blocks 2–4")
        XCTAssertEqual(grid.groups.last?.label, "blocks 97–99")
        XCTAssertEqual(grid.rows.count, 40 * 7)
        XCTAssertEqual(grid.rows.reduce(0) { $0 + $1.members.count }, 700)
        XCTAssertEqual(Set(grid.rows.flatMap(\.members)).count, 700)
        let small = LayerGrid(profile: SyntheticProfile.make(layers: 210, seed: 1))
        XCTAssertFalse(small.aggregated)
        XCTAssertEqual(small.rows.count, 210)
        XCTAssertEqual(small.groups.count, 30)

        let html = ReportDocument(input: ReportInput(profile: profile)).html()
        let check = XMLCheck.parse(html)
        XCTAssertNil(check.error)
        XCTAssertTrue(check.text.contains("blocks 2–4"))
        // a heatmap row's value is the mean over its members
        let section = HeatmapSection(context: ReportContext(input: ReportInput(profile: profile)))
        let row = grid.rows[0]
        let expected = row.members.map { section.context.analysis.score(layer: $0, format: 0) }.reduce(0, +) / Double(row.members.count)
        XCTAssertEqual(section.value(row, format: 0), expected, accuracy: 1e-15)
        XCTAssertEqual(row.members.count, 2)
    }

    func testWriterWritesBothFilesAndNoTemporaries() throws {
        let dir = try Fixtures.temporaryDirectory().appendingPathComponent("out/nested")
        let files = try ReportWriter.write(ReportInput(profile: Fixtures.tinyProfile()), to: dir)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["report.html", "report.md"])
        XCTAssertTrue(try String(contentsOf: files.html, encoding: .utf8).hasPrefix("<?xml"))
        let blocker = try Fixtures.temporaryDirectory().appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        XCTAssertThrowsError(try ReportWriter.write(ReportInput(profile: Fixtures.tinyProfile()), to: blocker)) { error in
            guard case ReportError.unwritable(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, blocker.path)
        }
    }

    func testValidationSectionShowsCorrelationsAndEveryPoint() {
        var profile = Fixtures.tinyProfile()
        let points = [(0.01, 0.012), (0.1, 0.08), (0.5, 0.61)].map {
            ValidationPoint(layer: nil, format: nil, predicted: $0.0, measured: $0.1)
        }
        profile.validation = [EstimatorValidation(estimator: "calibrated", spearman: 1, pearson: 0.98765, points: points)]
        let html = ReportDocument(input: ReportInput(profile: profile)).html()
        let check = XMLCheck.parse(html)
        XCTAssertNil(check.error)
        XCTAssertTrue(check.text.contains("Spearman ρ = 1.00, Pearson r = 0.988, 3 points"), check.text)
        XCTAssertEqual(html.components(separatedBy: "class=\"point\"").count - 1, 3)
        XCTAssertEqual(check.elements["section"], 7 + 1)
        XCTAssertTrue(ReportDocument(input: ReportInput(profile: profile)).markdown().contains("| calibrated | 1.00 | 0.988 | 3 |"))
    }
}
