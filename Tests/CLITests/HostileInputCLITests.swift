import Foundation
import XCTest

/// Hostile but fair inputs, one class at a time, run as a user would (Guides/Inputs.md): every case
/// exits non-zero with exactly one `autoscheme:` line naming the file, field or option and the bound,
/// leaves nothing at the output path, and leaves every input byte-identical.
final class HostileInputCLITests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-cli-\(UUID().uuidString)")
        // The bench writes a seeded synthetic profile (21 layers), its plan and a sweep: no model needed.
        let bench = try CLI.run(["report", "--layers", "21", "--repeats", "1", "-o", folder.path], tool: "autoscheme-bench")
        XCTAssertEqual(bench.status, 0, bench.stderr)
        for name in ["profile.json", "plan.json", "sweep.json"] {
            try FileManager.default.moveItem(at: folder.appendingPathComponent("21/\(name)"), to: file(name))
        }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("21"))
        try? FileManager.default.removeItem(at: folder.appendingPathComponent("report"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// Every entry below the working folder (links not followed) with its bytes (or link target).
    func snapshot() throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let path = file(name).path
            let type = try FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType
            switch type {
            case .typeRegular?: out[name] = try Data(contentsOf: file(name))
            case .typeSymbolicLink?: out[name] = Data(("link:" + (try FileManager.default.destinationOfSymbolicLink(atPath: path))).utf8)
            default: out[name] = Data("\(String(describing: type))".utf8)
            }
        }
        return out
    }

    /// Runs the command in the working folder and checks the contract; `status` is the exit code.
    func expectFailure(_ arguments: [String], status: Int32 = 1, mentions fragments: [String],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try snapshot()
        let r = try CLI.run(arguments, in: folder, environment: ["AUTOSCHEME_CACHE": self.file("cache").path])
        XCTAssertEqual(r.status, status, "\(arguments): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.stdout, "", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("autoscheme: ") && r.stderr.hasSuffix("\n"), r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "not one line: \(r.stderr)", file: file, line: line)
        for fragment in fragments { XCTAssertTrue(r.stderr.contains(fragment), "'\(fragment)' not in: \(r.stderr)", file: file, line: line) }
        XCTAssertEqual(try snapshot(), before, "files changed by \(arguments)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.file("out").path), file: file, line: line)
    }

    /// `name` rewritten by `change` (the JSON object parsed, changed, written back).
    func mutated(_ name: String, as newName: String, _ change: (inout [String: Any]) -> Void) throws -> String {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: file(name))) as? [String: Any])
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: file(newName))
        return newName
    }

    // MARK: - Class 2 and 7: our own JSON

    func testProfileAndPlanValuesOutOfRange() throws {
        let bits = try mutated("profile.json", as: "bits.json") { p in
            var layers = p["layers"] as! [[String: Any]]
            var candidates = layers[0]["candidates"] as! [[String: Any]]
            candidates[0]["bits"] = ["storage": 1 << 62, "autoround": 1 << 62]
            layers[0]["candidates"] = candidates
            p["layers"] = layers
        }
        try expectFailure(["search", bits, "--avg-bits", "3", "-o", "out"], mentions: ["bits.json", "model.layers.0", "exceed 64 per parameter"])
        try expectFailure(["report", bits, "-o", "out"], mentions: ["bits.json", "exceed 64 per parameter"])
        let empty = try mutated("plan.json", as: "empty-plan.json") { $0["layers"] = [Any]() }
        try expectFailure(["export-plan", empty, "--to", "json", "-o", "out"], mentions: ["empty-plan.json", "layers: empty"])
        try expectFailure(["report", "profile.json", "--plan", empty, "-o", "out"], mentions: ["empty-plan.json", "layers: empty"])
        let count = try mutated("plan.json", as: "count.json") { p in
            var layers = p["layers"] as! [[String: Any]]
            layers[0]["parameters"] = (layers[0]["parameters"] as! Int) + 1
            p["layers"] = layers
        }
        try expectFailure(["report", "profile.json", "--plan", count, "-o", "out"], mentions: ["count.json", "parameters"])
        let format = try mutated("plan.json", as: "format.json") { p in
            var layers = p["layers"] as! [[String: Any]]
            layers[0]["format"] = "int4/g0"
            p["layers"] = layers
        }
        try expectFailure(["report", "profile.json", "--plan", format, "-o", "out"], mentions: ["format.json", "int4/g0"])
        try expectFailure(["export-plan", format, "--to", "json", "-o", "out"], mentions: ["format.json", "int4/g0"])
        try expectFailure(["report", "profile.json", "-o", ""], status: 2, mentions: ["-o is empty"])
    }

    // MARK: - Class 3: numeric options

    func testNumericOptionsOutOfRange() throws {
        try expectFailure(["search", "profile.json", "--avg-bits", "1e11", "-o", "out"], status: 2,
                          mentions: ["--avg-bits must be at most 64", "100000000000.0"])
        try expectFailure(["search", "profile.json", "--sweep", "2:1e11:1", "-o", "out"], mentions: ["2:1e11:1", "<= 64"])
        try expectFailure(["eval", "absent.gguf", "--text", "t.txt", "--windows", "\(1 << 58)"], status: 2,
                          mentions: ["--windows x --ctx must be at most 268435456 tokens"])
        try expectFailure(["quantize", "absent.gguf", "--plan", "plan.json", "--nsamples", "\(Int.max)", "--seqlen", "64", "-o", "out"],
                          status: 2, mentions: ["--nsamples must be in 1...1048576", "\(Int.max)"])
        try expectFailure(["profile", "absent.gguf", "--seqlen", "\(Int.max)", "-o", "p.json"],
                          mentions: ["--seqlen", "at most 131072"])
    }

    /// Window lengths are checked against the model's context before any window is cut.
    func testWindowLongerThanTheModelsContext() throws {
        let model = try CLI.cachedModel()
        try "Some text to evaluate.".write(to: file("t.txt"), atomically: true, encoding: .utf8)
        try expectFailure(["eval", model, "--text", "t.txt", "--ctx", "100000"],
                          mentions: ["--ctx", "100000", "at most 8192 (the model's max_position_embeddings)"])
        try expectFailure(["profile", model, "--calib", "t.txt", "--seqlen", "65536", "-o", "p.json"],
                          mentions: ["--seqlen", "at most 8192"])
    }

    // MARK: - Class 4 and 5: special files, outputs over inputs

    func testOutputsNeverReplaceInputs() throws {
        try expectFailure(["search", "profile.json", "--avg-bits", "3", "-o", "profile.json"],
                          mentions: ["'profile.json' is also an input"])
        try FileManager.default.createSymbolicLink(atPath: file("alias").path, withDestinationPath: folder.path)
        try expectFailure(["search", "profile.json", "--avg-bits", "3", "-o", "alias/profile.json"],
                          mentions: ["alias/profile.json", "is the input 'profile.json'"])
        try expectFailure(["export-plan", "plan.json", "--to", "json", "-o", "plan.json"], mentions: ["'plan.json' is also an input"])
        try expectFailure(["report", "profile.json", "-o", folder.path], mentions: ["holds the input 'profile.json'"])
        try "text".write(to: file("calib.txt"), atomically: true, encoding: .utf8)
        try expectFailure(["profile", "absent.gguf", "--calib", "calib.txt", "-o", "calib.txt"], mentions: ["'calib.txt' is also an input"])
        try FileManager.default.createDirectory(at: file("model"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: file("model/config.json"))
        try expectFailure(["quantize", "model", "--plan", "plan.json", "-o", "model", "--overwrite"],
                          mentions: ["'model' is also an input"])
        try expectFailure(["quantize", "model", "--plan", "plan.json", "-o", ".", "--overwrite"],
                          mentions: ["holds the input 'model'"])
    }

    func testSpecialFilesAreRefused() throws {
        XCTAssertEqual(mkfifo(file("fifo.json").path, 0o600), 0)
        try expectFailure(["search", "fifo.json", "--avg-bits", "3", "-o", "out"], mentions: ["fifo.json", "FIFO, not a regular file"])
        try expectFailure(["search", "profile.json", "--avg-bits", "3", "-o", "fifo.json"], mentions: ["fifo.json", "is a FIFO"])
        try FileManager.default.createSymbolicLink(atPath: file("link.json").path, withDestinationPath: file("plan.json").path)
        try expectFailure(["search", "profile.json", "--avg-bits", "3", "-o", "link.json"], mentions: ["link.json", "symbolic link"])
        try expectFailure(["export-plan", "plan.json", "--to", "json", "-o", "/dev/null"], mentions: ["/dev/null", "character device"])
    }

    // MARK: - Class 6: atomicity

    /// `report` into a new folder leaves no empty or half-written folder and no staging sibling, and
    /// a stale staging folder of a dead process is cleaned by the next run.
    func testReportWritesItsFolderAtOnceAndCleansStaleStaging() throws {
        let stale = file(".out.tmp-999999999")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        try Data("partial".utf8).write(to: stale.appendingPathComponent("report.md"))
        let r = try CLI.run(["report", "profile.json", "--plan", "plan.json", "-o", "out"], in: folder)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: file("out").path).sorted(), ["report.html", "report.md"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }, [])
    }
}
