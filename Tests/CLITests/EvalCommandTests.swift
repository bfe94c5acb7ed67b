import Foundation
import XCTest

/// `autoscheme eval`, run end to end as a process on the cached default model.
final class EvalCommandTests: XCTestCase {

    /// One window of alice29.txt against the model itself: PPL 24.276 (reference, within 0.5%),
    /// KL exactly 0 and full agreement, in the documented JSON keys.
    func testJSONAgainstItself() throws {
        let model = try CLI.cached("SmolLM2-135M-Instruct.Q4_1.gguf"), text = try CLI.cached("alice29.txt")
        let r = try CLI.run(["eval", model, "--text", text, "--windows", "1", "--against", model, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(Set(json.keys), ["ppl", "kl", "top1_agree", "tokens", "ctx", "windows"])
        XCTAssertEqual(json["ppl"] as! Double, 24.276, accuracy: 24.276 * 0.005)
        XCTAssertEqual(json["kl"] as? Double, 0)
        XCTAssertEqual(json["top1_agree"] as? Double, 1)
        XCTAssertEqual(json["tokens"] as? Int, 511)
        XCTAssertTrue(r.stderr.contains("window 1/1"))
    }

    func testTextShorterThanOneWindowIsOneLineError() throws {
        let model = try CLI.cached("SmolLM2-135M-Instruct.Q4_1.gguf")
        let short = FileManager.default.temporaryDirectory.appendingPathComponent("autoscheme-eval-short.txt")
        try Data("Alice was beginning to get very tired.".utf8).write(to: short)
        defer { try? FileManager.default.removeItem(at: short) }
        let r = try CLI.run(["eval", model, "--text", short.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "autoscheme: The evaluation text '\(short.path)' has 8 tokens, fewer than the 512 needed for 1 window of 512 tokens.\n")
    }
}
