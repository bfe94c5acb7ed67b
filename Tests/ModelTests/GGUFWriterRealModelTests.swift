import Foundation
import XCTest
@testable import Model

/// The writer's files read by llama.cpp's own Python reader (the PyPI `gguf` package, through
/// `scripts/check-gguf`), and the default model rewritten through the writer. Full tier: skipped
/// when the asset cache is absent.
final class GGUFWriterCheckTests: XCTestCase {
    /// Every value type, five tensor types and an alignment of 64, as gguf reads them: keys in order
    /// with their types and values, tensors with name, type, dimensions and the sha256 of their bytes.
    func testGGUFPackageReadsEveryValueTypeAndTensorType() throws {
        try GGUFCheckScript.requireFullTier()
        let path = try GGUFWriterTests.outputPath("all.gguf")
        let metadata = GGUFMetadata(GGUFWriterTests.everyValueType + [("general.alignment", .uint32(64))])
        let tensors = GGUFWriterTests.fiveTensors()
        try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path)
        let expect = try GGUFCheckScript.writeExpectation(for: path, metadata: metadata, tensors: tensors, hashes: true)
        let run = try GGUFCheckScript.run([path, "--expect", expect])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("27 keys, 5 tensors, alignment 64: ok"), run.output)

        // The check can fail: the same file against an expectation with one value and one
        // tensor's bytes changed.
        var changed = metadata
        changed["i32"] = .int32(-6)
        var wrongBytes = tensors
        wrongBytes[4].bytes = .array(GGUFWriterTests.ramp(54, from: 10))
        let wrong = try GGUFCheckScript.writeExpectation(for: path + ".wrong", metadata: changed, tensors: wrongBytes, hashes: true)
        let failed = try GGUFCheckScript.run([path, "--expect", wrong])
        XCTAssertEqual(failed.status, 1, failed.output)
        XCTAssertTrue(failed.output.contains("key 'i32' value: read -5, expected -6"), failed.output)
        XCTAssertTrue(failed.output.contains("tensor 'q4' sha256"), failed.output)
    }

    /// A file whose last tensor lacks its padding is refused by the layout check (llama.cpp reads
    /// the data section to its padded end).
    func testLayoutCheckRefusesAFileCutShort() throws {
        try GGUFCheckScript.requireFullTier()
        let path = try GGUFWriterTests.outputPath("short.gguf")
        try GGUFWriter.write(metadata: GGUFMetadata(), tensors: GGUFWriterTests.fiveTensors(), to: path)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: try handle.seekToEnd() - 10)
        try handle.close()
        let run = try GGUFCheckScript.run([path])
        XCTAssertEqual(run.status, 1, run.output)
        XCTAssertTrue(run.output.contains("the padded data section ends at"), run.output)
    }
}

final class GGUFWriterRealModelTests: XCTestCase {
    /// The default model rewritten with metadata copied from it: every tensor (name, shape, type,
    /// bytes) and every key/value pair equals the source's, except the two provenance keys added;
    /// `eval` gives the identical PPL on 2 windows of 256 tokens of alice29; gguf reads the file
    /// with the expected keys and tensors, and its tensors' bytes equal the source's.
    func testRewrittenDefaultModelEqualsTheSource() throws {
        guard let modelPath = Assets.cachedPath(.defaultModel) else { throw XCTSkip("default model not cached") }
        let source = try GGUFFile(path: modelPath)
        let quantization = GGUFQuantization(fileType: .q4_1, quantizedBy: "AutoScheme test", plan: "copy of every tensor")
        let metadata = GGUFMetadata(requantizing: source, as: quantization)
        let tensors = source.tensors.map { GGUFOutputTensor(copying: $0, of: source) }
        let folder = try TempFiles.folder("rewrite")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/smollm2.gguf"
        let start = Date()
        let layout = try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path)
        print("rewrote the default model (\(layout.fileSize) bytes) in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")

        let copy = try GGUFFile(path: path)
        XCTAssertEqual(copy.version, 3)
        XCTAssertEqual(copy.tensors.count, 272)
        XCTAssertEqual(copy.tensors, source.tensors)   // names, dims, types, offsets, sizes
        for (a, b) in zip(copy.tensors, source.tensors) {
            XCTAssertTrue(copy.data(a).elementsEqual(source.data(b)), "bytes of \(a.name)")
        }
        XCTAssertEqual(copy.metadataKeys, source.metadataKeys + ["general.quantized_by", "quantize.plan.file"])
        for key in source.metadataKeys { XCTAssertEqual(copy[key], source[key], key) }
        XCTAssertEqual(copy["general.quantized_by"], .string("AutoScheme test"))
        XCTAssertEqual(copy.dataOffset % 32, 0)
        XCTAssertGreaterThanOrEqual(copy.dataOffset, source.dataOffset + 55 + 58)   // the two added pairs
        XCTAssertEqual(layout.fileSize, copy.file.count)

        if let alice = Assets.cachedPath(.alice29) {
            func ppl(_ p: String) throws -> Double {
                let d = try ModelLoader.open(p)
                let tokens = try EvaluationInputs.tokens(ofTextFile: alice, tokenizer: try EvaluationInputs.tokenizer(of: d))
                return try Evaluation.run(model: try EvaluationInputs.model(d).resident(), tokens: tokens, ctx: 256, windows: 2).ppl
            }
            let original = try ppl(modelPath), rewritten = try ppl(path)
            print("alice29, 2 x 256 tokens: PPL \(original) (source) and \(rewritten) (rewritten)")
            XCTAssertEqual(rewritten, original)
        }

        let expect = try GGUFCheckScript.writeExpectation(for: path, metadata: metadata, tensors: tensors, hashes: false)
        let run = try GGUFCheckScript.run([path, "--expect", expect, "--same-data-as", modelPath])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("35 keys, 272 tensors, alignment 32: ok"), run.output)
    }
}
