import Foundation
import XCTest
import TensorCore
import TestSupport
@testable import Export
@testable import Model
@testable import Formats

/// `GGUFExport` on a tiny Llama (hidden 256, so every k-quant fits; one block; untied head): the
/// written file opens in our reader and decodes to the quantizer's output bit for bit; Hugging Face
/// Q/K rows get llama.cpp's converter permutation; bad input leaves nothing at the final path.
final class GGUFExportTests: XCTestCase {
    static let config = TinyLlama.config(hidden: 256, layers: 1, heads: 4, kvHeads: 2, headDim: 64, ffn: 512, vocab: 64)

    /// One type per layer kind: every k-quant, q8_0, bf16 (down: 512 inputs).
    static let plan: [LinearKind: QuantFormat] = [
        .q: .ggml(.q4_K), .k: .ggml(.q6_K), .v: .ggml(.q2_K), .o: .ggml(.q3_K), .gate: .ggml(.q5_K), .up: .ggml(.q8_0), .down: .bf16,
    ]

    static func folder(_ name: String) -> String {
        let path = TinyModel.temporaryFolder("gguf-\(name)")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The tiny model written as an F32 GGUF in llama.cpp's layout (Q/K rows permuted), opened by the loader.
    static func ggufSource(in folder: String) throws -> ModelDescription {
        let hf = TinyLlama.tensors(config, seed: 5)
        let c = config
        var tensors: [GGUFOutputTensor] = []
        for info in hf.tensorInfos {
            var values = try hf.floats(info.name)
            if let heads = info.name.hasSuffix("q_proj.weight") ? c.numAttentionHeads : info.name.hasSuffix("k_proj.weight") ? c.numKeyValueHeads : nil {
                let order = QuantizedCheckpointRows.permutation(heads: heads, headDim: c.headDim)  // [hf] = gguf
                var gguf = values
                for (h, g) in order.enumerated() { gguf.replaceSubrange((g * info.shape[1])..<((g + 1) * info.shape[1]), with: values[(h * info.shape[1])..<((h + 1) * info.shape[1])]) }
                values = gguf
            }
            tensors.append(GGUFExport.floatTensor(values, name: GGUFNames.gguf(info.name), shape: info.shape, type: .f32))
        }
        let metadata = GGUFMetadata([
            ("general.architecture", .string("llama")), ("general.file_type", .uint32(0)),
            ("llama.block_count", .uint32(1)), ("llama.embedding_length", .uint32(256)),
            ("llama.feed_forward_length", .uint32(512)), ("llama.attention.head_count", .uint32(4)),
            ("llama.attention.head_count_kv", .uint32(2)), ("llama.context_length", .uint32(64)),
        ])
        let path = (folder as NSString).appendingPathComponent("source.gguf")
        try GGUFWriter.write(metadata: metadata, tensors: tensors, to: path)
        return try ModelLoader.open(path)
    }

    static func quantize(_ d: ModelDescription) throws -> [LayerID: QuantizedTensor] {
        var out: [LayerID: QuantizedTensor] = [:]
        for layer in d.linearLayers {
            let id = LayerID(block: layer.block, kind: layer.kind)
            let w = Matrix(rows: layer.outFeatures, cols: layer.inFeatures, data: try d.tensors.floats(layer.weightName))
            let h = (0..<w.cols).map { Float(1 + $0 % 5) }
            let format = plan[layer.kind]!
            out[id] = format.family == .ggml
                ? try GGMLFormatQuantizer(format: format).quantize(weights: w, name: id.description, importance: h)
                : try format.quantizer.quantize(weights: w, name: id.description)
        }
        return out
    }

    /// From a GGUF source: each planned tensor in its type, decoding bit for bit to the quantizer's
    /// output; the embedding and head at the asked type (copied when the source holds it), norms
    /// F32; the source's metadata with the file type and the provenance keys.
    func testWrittenFileDecodesToTheQuantizersOutput() throws {
        let dir = Self.folder("roundtrip")
        let source = try Self.ggufSource(in: dir)
        let quantized = try Self.quantize(source)
        let path = (dir as NSString).appendingPathComponent("out.gguf")
        let options = GGUFExportOptions(embeddingType: .q8_0, plan: "plan.json",
                                        calibration: .init(dataset: "lcet10.txt", entries: 6, chunks: 32))
        let bytes = try GGUFExport.write(description: source, quantized: quantized, options: options, to: path, overwrite: false)
        let file = try GGUFFile(path: path)
        XCTAssertEqual(bytes, file.file.count)
        let written = try GGUFTensorSource(files: [file])
        for (id, q) in quantized {
            let info = try XCTUnwrap(written.ggufInfo(id.weightName))
            XCTAssertEqual(info.type.storage.rawValue.lowercased(), q.format.name.lowercased(), "\(id)")
            XCTAssertEqual(info.shape, [q.rows, q.cols])
            let expected = try q.format.quantizer.dequantize(q)
            XCTAssertEqual(try written.floats(id.weightName).map(\.bitPattern), expected.data.map(\.bitPattern), "\(id)")
        }
        XCTAssertEqual(file.tensors.first { $0.name == "token_embd.weight" }?.type.storage, .q8_0)
        XCTAssertEqual(file.tensors.first { $0.name == "output.weight" }?.type.storage, .q8_0)
        XCTAssertEqual(file.tensors.filter { $0.name.hasSuffix("norm.weight") }.map(\.type.storage), [.f32, .f32, .f32])
        XCTAssertEqual(file.tensors.count, source.tensors.tensorInfos.count)
        XCTAssertEqual(file["general.file_type"], .uint32(LlamaFileType.bf16.rawValue), "bf16 down holds the most weights")
        XCTAssertEqual(file["quantize.plan.file"], .string("plan.json"))
        XCTAssertEqual(file["quantize.imatrix.dataset"], .string("lcet10.txt"))
        XCTAssertEqual(file["llama.embedding_length"], .uint32(256))
        // The embedding already stored in the asked type is copied as stored.
        let f32 = (dir as NSString).appendingPathComponent("f32.gguf")
        try GGUFExport.write(description: source, quantized: quantized, options: GGUFExportOptions(embeddingType: .f32), to: f32, overwrite: false)
        let reread = try GGUFFile(path: f32)
        let embd = try XCTUnwrap(reread.tensors.first { $0.name == "token_embd.weight" })
        let sourceBytes = Array(try source.gguf!.rawBytes("model.embed_tokens.weight"))
        XCTAssertEqual(Array(reread.data(embd)), sourceBytes)
        XCTAssertEqual(GGUFExport.fileType([quantized[LayerID(block: 0, kind: .q)]!]), .q4_K_M)
    }

    /// mxfp4 layers (rounded, or tuned with offsets and clips) are written as ggml's block_mxfp4
    /// (type 39) and decode, through the GGUF reader, to the quantizer's values bit for bit; one
    /// hand-checked block pins the layout (E8M0 byte, then low nibble = weight j, high = j + 16).
    func testMXFP4LayersAreStoredAsBlockMXFP4() throws {
        let dir = Self.folder("mxfp4")
        let source = try Self.ggufSource(in: dir)
        var quantized = try Self.quantize(source)
        let quantizer = MXFP4Quantizer(format: .mxfp4)
        for layer in source.linearLayers where layer.kind == .up || layer.kind == .k {
            let id = LayerID(block: layer.block, kind: layer.kind)
            let w = Matrix(rows: layer.outFeatures, cols: layer.inFeatures, data: try source.tensors.floats(layer.weightName))
            let tuned = layer.kind == .k ? RoundingAdjustments(offsets: (0..<w.count).map { Float($0 % 7) / 7 - 0.5 }) : nil
            quantized[id] = try quantizer.quantize(weights: w, name: id.description, adjustments: tuned)
        }
        let path = (dir as NSString).appendingPathComponent("mx.gguf")
        try GGUFExport.write(description: source, quantized: quantized, options: GGUFExportOptions(embeddingType: .q8_0), to: path, overwrite: false)
        let written = try GGUFTensorSource(files: [try GGUFFile(path: path)])
        for (id, q) in quantized where q.format == .mxfp4 {
            XCTAssertEqual(try XCTUnwrap(written.ggufInfo(id.weightName)).type.id, 39, "\(id)")
            let expected = try quantizer.dequantize(q).data
            let got = try written.floats(id.weightName)
            XCTAssertEqual(got.count, expected.count)
            // Equal values; ggml's code 8 is +0 where ours keeps -0.
            XCTAssertTrue(zip(got, expected).allSatisfy { $0 == $1 }, "\(id)")
        }
        // Codes 1..15 then 0 in the first 16 weights, 15..0 in the next 16, scale 2^-3.
        var codes = [UInt8]()
        for j in 0..<32 { codes.append(UInt8(j < 16 ? (j + 1) % 16 : 31 - j)) }
        var expected: [UInt8] = [124]
        for j in 0..<16 { expected.append(UInt8((j + 1) % 16) | UInt8(15 - j) << 4) }
        XCTAssertEqual(GGUFExport.mxfp4Blocks(codes: codes, scales: [0.125]), expected)
    }

    /// From a Hugging Face layout: Q/K rows reordered as llama.cpp's converter does (the loader's
    /// rotate-half inverse gives back the Hugging Face rows), other rows kept; default embedding
    /// q6_K for 256-wide rows, q8_0 for 576-wide (SmolLM2).
    func testHuggingFaceRowsArePermutedForLlamaCpp() throws {
        let hf = try ModelDescription(path: "tiny", kind: .huggingFace, config: Self.config,
                                      tensors: TinyLlama.tensors(Self.config, seed: 5), ropeLayout: .rotateHalf)
        let quantized = try Self.quantize(hf)
        let tensors = try GGUFExport.tensors(description: hf, quantized: quantized, embedding: .llamaCppDefault(cols: 256))
        func decoded(_ name: String) throws -> [Float] {
            let t = try XCTUnwrap(tensors.first { $0.name == name })
            guard case .array(let bytes) = t.bytes, let type = GGMLBlockType(typeID: t.type.id) else { return [] }
            return try GGMLBlockQuantizer.dequantize(bytes, type: type, rows: t.shape[0], cols: t.shape[1], name: name).data
        }
        for (kind, heads, name) in [(LinearKind.q, 4, "blk.0.attn_q.weight"), (.k, 2, "blk.0.attn_k.weight")] {
            let q = quantized[LayerID(block: 0, kind: kind)]!
            let expected = try q.format.quantizer.dequantize(q).data
            let back = CheckpointWriter.rotateHalfRows(try decoded(name), heads: heads, headDim: 64)
            XCTAssertEqual(back.map(\.bitPattern), expected.map(\.bitPattern), name)
            XCTAssertNotEqual(try decoded(name), expected, "\(name) rows moved")
        }
        let v = quantized[LayerID(block: 0, kind: .v)]!
        XCTAssertEqual(try decoded("blk.0.attn_v.weight"), try v.format.quantizer.dequantize(v).data)
        XCTAssertEqual(tensors.first { $0.name == "token_embd.weight" }?.type.storage, .q6_K)
        XCTAssertEqual(GGUFEmbeddingType.llamaCppDefault(cols: 576), .q8_0)
        XCTAssertEqual(GGUFEmbeddingType.llamaCppDefault(cols: 4096), .q6_K)
    }

    /// A plan with formats llama.cpp cannot store is refused in one line naming them and their layers.
    func testPlanWithUnstorableFormatsIsRefused() throws {
        var formats: [LayerID: QuantFormat] = [:]
        for kind in LinearKind.allCases { formats[LayerID(block: 0, kind: kind)] = .ggml(.q4_K) }
        formats[LayerID(block: 0, kind: .q)] = try QuantFormat(parsing: "int4/g128")
        formats[LayerID(block: 0, kind: .k)] = .nvfp4
        formats[LayerID(block: 0, kind: .v)] = .mxfp4A4
        formats[LayerID(block: 0, kind: .o)] = .mxfp4
        formats[LayerID(block: 0, kind: .up)] = .bf16
        XCTAssertThrowsError(try GGUFExport.check(formats, plan: "plan.json")) { error in
            guard case GGUFExportError.unstorableFormats(_, let bad) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(bad, ["int4/g128": ["model.layers.0.self_attn.q_proj"], "nvfp4": ["model.layers.0.self_attn.k_proj"],
                                 "mxfp4-a4": ["model.layers.0.self_attn.v_proj"]])
            let message = error.localizedDescription
            XCTAssertFalse(message.contains("\n"))
            XCTAssertTrue(message.contains("llama.cpp cannot store int4/g128 (model.layers.0.self_attn.q_proj); mxfp4-a4"), message)
        }
        XCTAssertTrue(GGUFExport.storable(.mxfp4), "weights-only mxfp4 is ggml's block_mxfp4")
        XCTAssertNoThrow(try GGUFExport.check(formats.filter { GGUFExport.storable($0.value) }, plan: "plan.json"))
        XCTAssertThrowsError(try GGUFExport.checkCandidates([.ggml(.q2_K), .fp8], source: "the candidate formats")) {
            XCTAssertTrue($0.localizedDescription.contains("cannot store fp8;"), $0.localizedDescription)
        }
    }

    /// An unwritable output (under a regular file) and an existing file without overwrite: typed
    /// errors, nothing at the final path, an existing file unchanged.
    func testBadOutputsLeaveNothing() throws {
        let dir = Self.folder("bad")
        let source = try Self.ggufSource(in: dir)
        let quantized = try Self.quantize(source)
        let blocker = (dir as NSString).appendingPathComponent("file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let under = (blocker as NSString).appendingPathComponent("out.gguf")
        XCTAssertThrowsError(try GGUFExport.write(description: source, quantized: quantized, options: .init(), to: under, overwrite: true)) {
            guard case GGUFWriteError.writeFailed = $0 else { return XCTFail("\($0)") }
            XCTAssertFalse($0.localizedDescription.contains("\n"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: under))
        XCTAssertThrowsError(try GGUFExport.write(description: source, quantized: quantized, options: .init(), to: blocker, overwrite: false)) {
            XCTAssertEqual($0 as? GGUFExportError, .outputExists(path: blocker))
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: blocker)), Data("x".utf8))
        var int4 = quantized
        int4[LayerID(block: 0, kind: .q)] = try QuantFormat(parsing: "int4/g128").quantizer.quantize(
            weights: Matrix(rows: 256, cols: 256, data: try source.tensors.floats("model.layers.0.self_attn.q_proj.weight")), name: "q")
        let out = (dir as NSString).appendingPathComponent("int4.gguf")
        XCTAssertThrowsError(try GGUFExport.write(description: source, quantized: int4, options: .init(), to: out, overwrite: false)) {
            XCTAssertEqual($0 as? GGUFExportError, .unstorableTensor(layer: "q", format: "int4/g128"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
}
