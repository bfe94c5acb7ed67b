import Foundation
import XCTest
@testable import Model

/// Metadata of a requantized file: the source's pairs in order, the source's quantization
/// provenance replaced by ours, llama.cpp's file types.
final class GGUFWriterMetadataTests: XCTestCase {
    /// A source as llama-quantize leaves it after an imatrix run on a split model.
    static func quantizedSource() throws -> GGUFFile {
        var b = tinyLlamaGGUF()
        b.add("general.file_type", u32: 3)
        b.add("quantize.imatrix.file", string: "old.imatrix")
        b.add("quantize.imatrix.dataset", string: "wiki.train.raw")
        b.add("quantize.imatrix.entries_count", u32: 7)
        b.add("split.no", type: 2, [0, 0])
        b.add("split.count", type: 2, [1, 0])
        b.add("general.tensor_extra.name", strings: ["blk.0.attn_q.weight"])
        b.add("general.tags", type: 9, GGUFBuilder.u32(8) + GGUFBuilder.u64(0))
        b.add("tokenizer.ggml.merges", strings: ["a b"])
        b.add("general.quantization_version", u32: 2)
        return try GGUFFile(path: try b.write())
    }

    func testRequantizedMetadataKeepsTheSourceAndReplacesItsQuantization() throws {
        let source = try Self.quantizedSource()
        let q = GGUFQuantization(fileType: .q4_K_M, quantizedBy: "AutoScheme test", plan: "plan.json",
                                 calibration: .init(dataset: "lcet10.txt", entries: 210, chunks: 32))
        let m = GGUFMetadata(requantizing: source, as: q)
        let dropped: Set<String> = ["quantize.imatrix.file", "quantize.imatrix.dataset", "quantize.imatrix.entries_count",
                                    "split.no", "split.count", "general.tensor_extra.name", "general.tags"]
        let kept = source.metadataKeys.filter { !dropped.contains($0) }
        XCTAssertEqual(Array(m.keys.prefix(kept.count)), kept)
        XCTAssertEqual(Array(m.keys.dropFirst(kept.count)), ["general.quantized_by", "quantize.plan.file", "quantize.imatrix.dataset",
                                                             "quantize.imatrix.entries_count", "quantize.imatrix.chunks_count"])
        for key in kept where key != "general.file_type" { XCTAssertEqual(m[key], source[key], key) }
        XCTAssertEqual(m["general.file_type"], .uint32(15))
        XCTAssertEqual(m["general.quantization_version"], .uint32(2))
        XCTAssertEqual(m["general.quantized_by"], .string("AutoScheme test"))
        XCTAssertEqual(m["quantize.plan.file"], .string("plan.json"))
        XCTAssertEqual(m["quantize.imatrix.dataset"], .string("lcet10.txt"))
        XCTAssertEqual(m["quantize.imatrix.entries_count"], .uint32(210))
        XCTAssertEqual(m["quantize.imatrix.chunks_count"], .uint32(32))
        XCTAssertNil(m["quantize.imatrix.file"])

        // Without a calibration or plan, only the file type, version and tool are set; a source
        // without them gets them appended.
        var plain = GGUFMetadata([("general.architecture", .string("llama"))])
        plain.setQuantization(GGUFQuantization(fileType: .bf16, quantizedBy: "t"))
        XCTAssertEqual(plain.entries, [.init("general.architecture", .string("llama")), .init("general.file_type", .uint32(32)),
                                       .init("general.quantization_version", .uint32(2)), .init("general.quantized_by", .string("t"))])
    }

    /// The file written from that metadata opens as a model with the source's configuration and tokenizer.
    func testRequantizedFileOpensAsTheSameModel() throws {
        let source = try Self.quantizedSource()
        let path = try TempFiles.folder("requant") + "/m.gguf"
        let m = GGUFMetadata(requantizing: source, as: GGUFQuantization(fileType: .f32, quantizedBy: "t"))
        try GGUFWriter.write(metadata: m, tensors: source.tensors.map { GGUFOutputTensor(copying: $0, of: source) }, to: path)
        let back = try ModelLoader.open(path)
        XCTAssertEqual(back.config, try ModelLoader.open(source.path).config)
        XCTAssertEqual(back.gguf?.metadata["tokenizer.ggml.tokens"], source["tokenizer.ggml.tokens"])
        XCTAssertEqual(try GGUFFile(path: path).metadataKeys, m.keys)
    }

    /// Ids and names from llama.h (`LLAMA_FTYPE_MOSTLY_*`).
    func testLlamaFileTypes() {
        XCTAssertEqual(LlamaFileType.allCases.count, 36)
        XCTAssertEqual(Set(LlamaFileType.allCases.map(\.rawValue)).count, 36)
        let pins: [(LlamaFileType, UInt32, String)] = [
            (.f32, 0, "F32"), (.f16, 1, "F16"), (.q4_0, 2, "Q4_0"), (.q4_1, 3, "Q4_1"), (.q8_0, 7, "Q8_0"), (.q5_0, 8, "Q5_0"),
            (.q2_K, 10, "Q2_K"), (.q3_K_S, 11, "Q3_K_S"), (.q3_K_M, 12, "Q3_K_M"), (.q4_K_S, 14, "Q4_K_S"), (.q4_K_M, 15, "Q4_K_M"),
            (.q5_K_M, 17, "Q5_K_M"), (.q6_K, 18, "Q6_K"), (.q2_K_S, 21, "Q2_K_S"), (.iq4_XS, 30, "IQ4_XS"), (.bf16, 32, "BF16"),
            (.mxfp4_MoE, 38, "MXFP4_MOE"), (.nvfp4, 39, "NVFP4"), (.q2_0, 41, "Q2_0"),
        ]
        for (type, id, name) in pins {
            XCTAssertEqual(type.rawValue, id, name)
            XCTAssertEqual(type.name, name)
            XCTAssertEqual(LlamaFileType(name: name.lowercased()), type)
        }
        XCTAssertNil(LlamaFileType(rawValue: 4))
        XCTAssertNil(LlamaFileType(name: "Q4_K"))
    }
}
