import Foundation
import XCTest

/// Every input error of `run` (and the cheap ones of `search`, `quantize`, `profile` and
/// `autoscheme-bench compare-plans`), run as a user would: each exits non-zero, prints nothing on
/// stdout and exactly one line on stderr, prefixed with the tool's name, naming the file or option
/// and what was expected, and writes nothing (the working folder, which holds the output path and
/// the profile cache, is unchanged).
final class ErrorPathTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("errors-cli-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try "Too short.".write(to: file("short.txt"), atomically: true, encoding: .utf8)
        try Data([0x41, 0xff, 0xfe, 0x42]).write(to: file("binary.txt"))
        try Data("{}".utf8).write(to: file("empty-plan.json"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// A snapshot of the working folder: every path below it with its size.
    func snapshot() throws -> [String: Int] {
        var out: [String: Int] = [:]
        let e = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.fileSizeKey])
        while let url = e?.nextObject() as? URL {
            out[url.path] = try url.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? -1
        }
        return out
    }

    /// Runs the command in the working folder (profile cache inside it) and checks the error contract.
    func expectFailure(tool: String = "autoscheme", _ arguments: [String], mentions fragments: [String],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try snapshot()
        let r = try CLI.run(arguments, tool: tool, in: folder, environment: ["AUTOSCHEME_CACHE": self.file("cache").path])
        XCTAssertNotEqual(r.status, 0, "\(arguments)", file: file, line: line)
        XCTAssertEqual(r.stdout, "", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("\(tool): ") && r.stderr.hasSuffix("\n"), r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "not one line: \(r.stderr)", file: file, line: line)
        for fragment in fragments { XCTAssertTrue(r.stderr.contains(fragment), "'\(fragment)' not in: \(r.stderr)", file: file, line: line) }
        XCTAssertEqual(try snapshot(), before, "files written by \(arguments)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.file("out").path), file: file, line: line)
    }

    /// Small texts cut from the cached ones (fast to tokenize), and the cached model.
    func realInputs() throws -> (model: String, calib: String, eval: String) {
        let model = try CLI.cachedModel()
        let calib = try String(contentsOfFile: try CLI.cached("lcet10.txt"), encoding: .utf8).prefix(20_000)
        let eval = try String(contentsOfFile: try CLI.cached("alice29.txt"), encoding: .utf8).prefix(20_000)
        try String(calib).write(to: file("calib.txt"), atomically: true, encoding: .utf8)
        try String(eval).write(to: file("eval.txt"), atomically: true, encoding: .utf8)
        return (model, file("calib.txt").path, file("eval.txt").path)
    }

    /// `run` with small settings on the real inputs, plus `extra` (later options win).
    func runArguments(_ extra: [String]) throws -> [String] {
        let (model, calib, eval) = try realInputs()
        return ["run", model, "--avg-bits", "3", "--calib", calib, "--eval", eval, "--nsamples", "2", "--seqlen", "64",
                "--ctx", "64", "--eval-windows", "2", "-o", "out"] + extra
    }

    // MARK: - run: before the model is opened

    func testRunMissingModelFile() throws {
        try expectFailure(["run", file("absent.gguf").path, "--avg-bits", "3", "-o", "out"], mentions: ["absent.gguf"])
    }

    func testRunUnknownFormatListsKnownOnes() throws {
        try expectFailure(["run", file("absent.gguf").path, "--avg-bits", "3", "--formats", "int2,int5", "-o", "out"],
                          mentions: ["Unknown format 'int5'", "Known formats: int2|int3|int4|int8", "mxfp4, nvfp4, fp8, bf16"])
    }

    func testRunBadOptionValues() throws {
        let base = ["run", file("absent.gguf").path, "-o", "out"]
        try expectFailure(base + ["--avg-bits", "nan"], mentions: ["--avg-bits must be positive, got nan"])
        try expectFailure(base + ["--avg-bits", "-2"], mentions: ["--avg-bits must be positive, got -2.0"])
        try expectFailure(base + ["--avg-bits", "three"], mentions: ["'three'", "--avg-bits"])
        try expectFailure(base + ["--avg-bits", "3", "--iters", "-1"], mentions: ["--iters must be >= 0, got -1"])
        try expectFailure(base + ["--avg-bits", "3", "--eval-windows", "-1"], mentions: ["--eval-windows must be >= 0"])
        try expectFailure(base + ["--avg-bits", "3", "--ctx", "1"], mentions: ["--ctx >= 2"])
        try expectFailure(base + ["--avg-bits", "3", "--estimator", "magic"], mentions: ["'magic'", "--estimator", "calibrated"])
        try expectFailure(base + ["--avg-bits", "3", "--method", "gptq"], mentions: ["'gptq'", "--method"])
        try expectFailure(base + ["--avg-bits", "3", "--nsamples", "0"], mentions: ["--nsamples"])
        try expectFailure(base + ["--avg-bits", "3", "--bogus"], mentions: ["'--bogus'"])
        try expectFailure(["run", "--avg-bits", "3"], mentions: ["--output"])
    }

    func testRunOutputThatIsAFile() throws {
        try Data("x".utf8).write(to: file("taken"))
        try expectFailure(["run", file("absent.gguf").path, "--avg-bits", "3", "-o", "taken"], mentions: ["taken", "it is a file"])
    }

    // MARK: - run: after the model is opened, before any profiling

    func testRunImpossibleBudgetGivesFeasibleRange() throws {
        try expectFailure(try runArguments(["--avg-bits", "1.5"]),
                          mentions: ["Budget 1.5 bits is infeasible", "feasible range is 2.1354 to 16.0000"])
    }

    func testRunMissingOrUnreadableTexts() throws {
        try expectFailure(try runArguments(["--eval", file("absent-eval.txt").path]), mentions: ["absent-eval.txt"])
        try expectFailure(try runArguments(["--calib", file("absent-calib.txt").path]), mentions: ["absent-calib.txt"])
        try expectFailure(try runArguments(["--calib", file("binary.txt").path]), mentions: ["binary.txt", "not valid UTF-8"])
        try expectFailure(try runArguments(["--eval", folder.path]), mentions: [folder.path])
    }

    func testRunTextsTooShort() throws {
        try expectFailure(try runArguments(["--eval", file("short.txt").path]),
                          mentions: ["The evaluation text '\(file("short.txt").path)' has", "fewer than the 128 needed for 2 windows of 64 tokens"])
        try expectFailure(try runArguments(["--calib", file("short.txt").path]),
                          mentions: ["The calibration text '\(file("short.txt").path)' has", "fewer than the 64 needed for windows of 64 tokens"])
        try expectFailure(try runArguments(["--eval-windows", "1000"]), mentions: ["fewer than the 64000 needed for 1000 windows of 64 tokens"])
    }

    // MARK: - search, quantize, profile

    func testSearchErrors() throws {
        try expectFailure(["search", "absent-profile.json", "--avg-bits", "3", "-o", "out"], mentions: ["absent-profile.json"])
        try expectFailure(["search", "absent-profile.json", "--avg-bits", "3", "--scope", "world", "-o", "out"],
                          mentions: ["'world'", "--scope", "searched", "model"])
        try expectFailure(["search", "absent-profile.json", "--avg-bits", "3", "--count", "bytes", "-o", "out"], mentions: ["'bytes'"])
        try expectFailure(["search", "absent-profile.json", "-o", "out"], mentions: ["exactly one of --avg-bits or --sweep"])
    }

    func testQuantizeErrors() throws {
        try expectFailure(["quantize", file("absent.gguf").path, "--plan", "empty-plan.json", "-o", "out"], mentions: ["absent.gguf"])
        try expectFailure(["quantize", file("absent.gguf").path, "--plan", "p.json", "--iters", "-5", "-o", "out"],
                          mentions: ["--iters must be >= 0, got -5"])
        try expectFailure(["quantize", file("absent.gguf").path, "--plan", "p.json", "--nsamples", "0", "-o", "out"],
                          mentions: ["--nsamples must be > 0"])
        try expectFailure(["quantize", file("absent.gguf").path, "--plan", "p.json", "--dtype", "int8", "-o", "out"],
                          mentions: ["--dtype must be bf16, f16 or f32, got int8"])
        let model = try CLI.cachedModel()
        try expectFailure(["quantize", model, "--plan", "absent-plan.json", "-o", "out"], mentions: ["absent-plan.json"])
        try expectFailure(["quantize", model, "--plan", "empty-plan.json", "-o", "out"], mentions: ["empty-plan.json"])
        // A plan written for another model: block 0's q projection with 1000 parameters (the model's has 576 x 576).
        let foreign = CLI.smolLMPlanJSON(model: model, formats: ["int4/g128"], firstParameters: 1000)
        try Data(foreign.utf8).write(to: file("foreign-plan.json"))
        try expectFailure(["quantize", model, "--plan", file("foreign-plan.json").path, "-o", "out"],
                          mentions: ["foreign-plan.json", "model.layers.0.self_attn.q_proj.weight", "1000 parameters", "has 331776"])
    }

    func testProfileErrors() throws {
        try expectFailure(["profile", file("absent.gguf").path, "-o", "out"], mentions: ["absent.gguf"])
        try expectFailure(["profile", file("absent.gguf").path, "--estimator", "magic", "-o", "out"], mentions: ["'magic'", "--estimator"])
        try expectFailure(["profile", file("absent.gguf").path, "--formats", "int9", "-o", "out"], mentions: ["Unknown format 'int9'"])
    }

    func testEvalErrors() throws {
        try expectFailure(["eval", file("absent.gguf").path, "--text", "short.txt"], mentions: ["absent.gguf"])
        try expectFailure(["eval", file("absent.gguf").path, "--text", "short.txt", "--windows", "-1"], mentions: ["--windows must be at least 1, got -1"])
        let model = try CLI.cachedModel()
        try expectFailure(["eval", model, "--text", file("absent.txt").path], mentions: ["absent.txt"])
        try expectFailure(["eval", model, "--text", file("short.txt").path],
                          mentions: ["The evaluation text '\(file("short.txt").path)' has", "fewer than the 512 needed for 1 window of 512 tokens"])
    }

    // MARK: - autoscheme-bench blas

    func testBenchBLASErrors() throws {
        try expectFailure(tool: "autoscheme-bench", ["blas", "--tokens", "0"], mentions: ["tokens and seconds must be positive, got 0, 1.0"])
        try expectFailure(tool: "autoscheme-bench", ["blas", "--seconds", "0"], mentions: ["tokens and seconds must be positive, got 512, 0.0"])
    }

    // MARK: - autoscheme-bench compare-plans

    func testComparePlansErrors() throws {
        let base = ["compare-plans", file("absent.gguf").path]
        try expectFailure(tool: "autoscheme-bench", base + ["--budgets", "3,abc"], mentions: ["--budgets", "3,abc", "positive numbers"])
        try expectFailure(tool: "autoscheme-bench", base + ["--budgets", "3,-1"], mentions: ["--budgets"])
        try expectFailure(tool: "autoscheme-bench", base + ["--windows", "0"], mentions: ["--windows must be an integer >= 1, got '0'"])
        try expectFailure(tool: "autoscheme-bench", base + ["--iters", "-1"], mentions: ["--iters must be an integer >= 0, got '-1'"])
        try expectFailure(tool: "autoscheme-bench", base + ["--json", file("no-such-folder/table.json").path], mentions: ["no-such-folder"])
        try expectFailure(tool: "autoscheme-bench", base, mentions: ["absent.gguf"])
        let (model, calib, eval) = try realInputs()
        try expectFailure(tool: "autoscheme-bench", ["compare-plans", model, "--calib", calib, "--eval", eval, "--ctx", "64", "--windows", "1",
                           "--profile", "absent-profile.json"],
                          mentions: ["absent-profile.json"])
        try expectFailure(tool: "autoscheme-bench", ["compare-plans", model, "--calib", calib, "--eval", eval, "--ctx", "64", "--windows", "1"],
                          mentions: ["No cached profile at '\(file("cache").path)/profiles/", "--profile"])
        try expectFailure(tool: "autoscheme-bench", ["compare-plans", model, "--calib", calib, "--eval", file("short.txt").path, "--ctx", "64",
                           "--windows", "1"], mentions: ["short.txt"])
    }
}
