import Foundation
import Model
import XCTest

/// `quantize --format gguf` end to end on a tiny Hugging Face folder (`TinyModelFolder`, unit tier):
/// the file loads in our reader with the converter's metadata and Q/K layout (same PPL as the same
/// weights written as an f32 fake checkpoint), and bad input gives one line and leaves nothing.
final class QuantizeGGUFTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("quantize-gguf-\(UUID().uuidString)")
        try TinyModelFolder.write(to: folder.appendingPathComponent("tiny"))
        // One merge ("a b" -> id 0, the NUL byte's id, which the text never holds): a GGUF tokenizer
        // needs `tokenizer.ggml.merges`, and GGUF cannot store an empty array.
        let url = folder.appendingPathComponent("tiny/tokenizer.json")
        var tokenizer = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var model = tokenizer["model"] as! [String: Any]
        var vocab = model["vocab"] as! [String: Int]
        vocab = vocab.filter { $0.value != 0 }
        vocab["ab"] = 0
        model["vocab"] = vocab
        model["merges"] = ["a b"]
        tokenizer["model"] = model
        try JSONSerialization.data(withJSONObject: tokenizer).write(to: url)
        try TinyModelFolder.text(words: 1500, seed: 3).write(to: folder.appendingPathComponent("calib.txt"),
                                                            atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// A plan for the tiny model: kinds q k v o gate up down take `formats[kind index % count]`.
    func writePlan(_ formats: [String], to name: String = "plan.json") throws {
        let kinds = [("self_attn.q_proj", 64 * 64), ("self_attn.k_proj", 32 * 64), ("self_attn.v_proj", 32 * 64),
                     ("self_attn.o_proj", 64 * 64), ("mlp.gate_proj", 128 * 64), ("mlp.up_proj", 128 * 64), ("mlp.down_proj", 64 * 128)]
        var layers: [(name: String, parameters: Int, format: String)] = []
        for b in 0..<2 {
            for (k, (path, params)) in kinds.enumerated() {
                layers.append(("model.layers.\(b).\(path).weight", params, formats[k % formats.count]))
            }
        }
        let json = CLI.planJSON(model: "tiny", layers: layers)
        try json.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func quantize(_ extra: [String]) throws -> CLI.Result {
        try CLI.run(["quantize", "tiny", "--plan", "plan.json", "--calib", "calib.txt", "--recipe", "rtn", "--nsamples", "4",
                     "--seqlen", "64"] + extra, in: folder)
    }

    func ppl(_ model: String) throws -> Double {
        let e = try CLI.run(["eval", model, "--text", "calib.txt", "--ctx", "64", "--windows", "4", "--json"], in: folder)
        XCTAssertEqual(e.status, 0, e.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        return try XCTUnwrap(json["ppl"] as? Double)
    }

    /// The GGUF (q4_0 / q8_0 / bf16 layers, f32 embedding) and an f32 fake checkpoint of the same
    /// plan hold the same weights, so their PPL agrees (the Q/K rows were permuted
    /// for llama.cpp's RoPE and read back in that layout); the file names its provenance.
    func testGGUFOfAHuggingFaceFolderRunsLikeTheSameWeights() throws {
        try writePlan(["q4_0", "q8_0", "bf16", "q5_0"])
        let g = try quantize(["--format", "gguf", "-o", "tiny.gguf"])
        XCTAssertEqual(g.status, 0, g.stderr)
        let g32 = try quantize(["--format", "gguf", "--embedding-type", "f32", "-o", "f32.gguf"])
        XCTAssertEqual(g32.status, 0, g32.stderr)
        let f = try quantize(["--format", "fake", "--dtype", "f32", "-o", "fake"])
        XCTAssertEqual(f.status, 0, f.stderr)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("tiny/tokenizer.json"),
                                         to: folder.appendingPathComponent("fake/tokenizer.json"))
        let file = try GGUFFile(path: folder.appendingPathComponent("tiny.gguf").path)
        XCTAssertEqual(file["general.architecture"], .string("llama"))
        XCTAssertEqual(file["quantize.plan.file"], .string("plan.json"))
        XCTAssertEqual(file["quantize.imatrix.dataset"], .string("calib.txt"))
        XCTAssertEqual(file["quantize.imatrix.entries_count"], .uint32(10), "the 4 bf16 layers take no importance")
        XCTAssertEqual(file.tensors.first { $0.name == "token_embd.weight" }?.type.storage, .q8_0)
        XCTAssertEqual(file.tensors.first { $0.name == "blk.1.attn_v.weight" }?.type.storage, .bf16)
        let a = try ppl("f32.gguf"), b = try ppl("fake")
        XCTAssertEqual(a, b, accuracy: 1e-4 * b)
        // --embedding-type, and --overwrite replacing the file.
        let bf = try quantize(["--format", "gguf", "--embedding-type", "bf16", "-o", "tiny.gguf", "--overwrite"])
        XCTAssertEqual(bf.status, 0, bf.stderr)
        XCTAssertEqual(try GGUFFile(path: folder.appendingPathComponent("tiny.gguf").path).tensors.first { $0.name == "token_embd.weight" }?.type.storage, .bf16)
    }

    /// `run --format gguf`: the searched plan written as OUTDIR/model.gguf, evaluated from it; candidate
    /// formats a GGUF cannot hold are refused before the profile.
    func testRunWritesOneGGUF() throws {
        let common = ["run", "tiny", "--avg-bits", "6", "--target", "any", "--calib", "calib.txt", "--nsamples", "4",
                      "--seqlen", "64", "--estimator", "output-error", "--recipe", "rtn", "--format", "gguf",
                      "--eval", "calib.txt", "--ctx", "64", "--eval-windows", "2", "--no-cache"]
        let r = try CLI.run(common + ["--formats", "q4_0,q8_0", "-o", "run"], in: folder)
        XCTAssertEqual(r.status, 0, r.stderr)
        let file = try GGUFFile(path: folder.appendingPathComponent("run/model.gguf").path)
        XCTAssertEqual(file.tensors.filter { $0.type.storage == .q4_0 || $0.type.storage == .q8_0 }.count, 16, "14 layers, embedding, head")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("run/quantize-stats.json").path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("run/summary.json").path))
        let bad = try CLI.run(common + ["--formats", "q4_0,nvfp4", "-o", "run2"], in: folder)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("llama.cpp cannot store nvfp4;"), bad.stderr)
        XCTAssertFalse(bad.stderr.contains("profile:"), "refused before the profile")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("run2").path))
    }

    /// `run --target llamacpp` writes a GGUF without `--format`; `--format auto_round` is refused as a
    /// usage error before any work (an auto_round checkpoint holds no ggml block type).
    func testRunForLlamaCppWritesGGUFByDefault() throws {
        let common = ["run", "tiny", "--avg-bits", "6", "--target", "llamacpp", "--calib", "calib.txt", "--nsamples", "4",
                      "--seqlen", "64", "--estimator", "output-error", "--recipe", "rtn",
                      "--eval", "calib.txt", "--ctx", "64", "--eval-windows", "2", "--no-cache"]
        let r = try CLI.run(common + ["--formats", "q4_0,q8_0", "-o", "run"], in: folder)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try GGUFFile(path: folder.appendingPathComponent("run/model.gguf").path).tensors
            .filter { $0.type.storage == .q4_0 || $0.type.storage == .q8_0 }.count, 16, "14 layers, embedding, head")
        let refused = try CLI.run(common + ["--formats", "q4_0,q8_0", "--format", "auto_round", "-o", "run2"], in: folder)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--target llamacpp plans ggml block types, which an auto_round checkpoint cannot hold"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("profile"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("run2").path))
    }

    /// Bad input: a plan GGUF cannot store, an unknown --embedding-type, an unwritable output and an
    /// existing file without --overwrite each give a one-line error and leave nothing new.
    func testBadInputLeavesNothing() throws {
        try writePlan(["q4_0", "int4/g32"])
        let unstorable = try quantize(["--format", "gguf", "-o", "a.gguf"])
        XCTAssertNotEqual(unstorable.status, 0)
        XCTAssertTrue(unstorable.stderr.contains("llama.cpp cannot store int4/g32 (model.layers.0.self_attn.k_proj"), unstorable.stderr)
        XCTAssertEqual(unstorable.stderr.split(separator: "\n").count, 1, unstorable.stderr)
        XCTAssertFalse(unstorable.stderr.contains("block 1/2"), "refused before any work")

        try writePlan(["q4_0"])
        let unknown = try quantize(["--format", "gguf", "--embedding-type", "q3_K", "-o", "a.gguf"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("q3_K"), unknown.stderr)

        try Data("x".utf8).write(to: folder.appendingPathComponent("blocker"))
        let unwritable = try quantize(["--format", "gguf", "-o", "blocker/a.gguf"])
        XCTAssertNotEqual(unwritable.status, 0)
        XCTAssertTrue(unwritable.stderr.contains("blocker/a.gguf"), unwritable.stderr)

        let exists = try quantize(["--format", "gguf", "-o", "blocker"])
        XCTAssertNotEqual(exists.status, 0)
        XCTAssertTrue(exists.stderr.contains("--overwrite"), exists.stderr)
        XCTAssertFalse(exists.stderr.contains("block 1/2"), "refused before any work")
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("blocker")), Data("x".utf8))
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(left, ["blocker", "calib.txt", "plan.json", "tiny"])
    }
}

/// Full tier: the default model quantized to a mixed ggml GGUF, read by llama.cpp's own Python reader
/// (`scripts/check-gguf`, the PyPI gguf package) and by `eval`.
final class QuantizeGGUFDefaultModelTests: XCTestCase {
    func testDefaultModelGGUFPassesTheGGUFPackage() throws {
        let model = try CLI.cachedModel(), calib = try CLI.cached("lcet10.txt"), text = try CLI.cached("alice29.txt")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantize-gguf-default-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("plan.json"), out = dir.appendingPathComponent("m.gguf")
        try Data(CLI.smolLMPlanJSON(model: model, formats: ["q4_K", "q6_K", "q3_K", "q8_0", "q2_K", "q5_0", "q4_0"]).utf8).write(to: plan)
        let q = try CLI.run(["quantize", model, "--plan", plan.path, "--calib", calib, "--recipe", "rtn", "--nsamples", "2",
                             "--seqlen", "128", "--format", "gguf", "-o", out.path])
        XCTAssertEqual(q.status, 0, q.stderr)
        let file = try GGUFFile(path: out.path)
        var types: [String: Int] = [:]
        for t in file.tensors where t.name.hasPrefix("blk.") && t.dims.count == 2 { types[t.type.storage.rawValue, default: 0] += 1 }
        // 576-wide rows fall back as llama.cpp's do (q4_K -> q5_0, q6_K -> q8_0, q3_K/q2_K -> q4_0); down (1536) keeps k-quants.
        XCTAssertEqual(types.values.reduce(0, +), 210)
        XCTAssertEqual(file.tensors.first { $0.name == "token_embd.weight" }?.type.storage, .q8_0)
        XCTAssertEqual(file["general.architecture"], .string("llama"))

        let check = Process()
        check.executableURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/check-gguf")
        check.arguments = [out.path]
        let pipe = Pipe()
        check.standardOutput = pipe
        check.standardError = pipe
        try check.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        XCTAssertEqual(check.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("272 tensors"), output)

        let e = try CLI.run(["eval", out.path, "--text", text, "--ctx", "128", "--windows", "2", "--against", model, "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        XCTAssertLessThan(try XCTUnwrap(json["kl"] as? Double), 1.0)
    }
}
