import Foundation
import XCTest

/// `autoscheme inspect`, run end to end as a process.
final class InspectCommandTests: XCTestCase {

    func testJSONOnDefaultModel() throws {
        _ = try CLI.cachedModel()
        let r = try CLI.run(["inspect", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["architecture"] as? String, "llama")
        XCTAssertEqual(json["blocks"] as? Int, 30)
        XCTAssertEqual(json["parameters"] as? Int, 134_515_008)
        XCTAssertEqual(json["dtypes"] as? [String: Int], ["Q4_1": 210, "Q8_0": 1, "F32": 61])
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 210)
        XCTAssertEqual(layers[4]["name"] as? String, "model.layers.0.mlp.gate_proj")
        XCTAssertEqual(layers[4]["shape"] as? [Int], [1536, 576])
        XCTAssertEqual(layers[4]["params"] as? Int, 884_736)
        XCTAssertEqual(layers[4]["dtype"] as? String, "Q4_1")
    }

    func testTextOnDefaultModel() throws {
        let path = try CLI.cachedModel()
        let r = try CLI.run(["inspect", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("architecture  llama\n"))
        XCTAssertTrue(r.stdout.contains("blocks        30\n"))
        XCTAssertTrue(r.stdout.contains("parameters    134,515,008\n"))
        XCTAssertTrue(r.stdout.contains("stored dtypes F32 x61, Q4_1 x210, Q8_0 x1\n"))
        XCTAssertTrue(r.stdout.contains("linear layers (210)\n"))
        XCTAssertTrue(r.stdout.contains("model.layers.29.mlp.down_proj"))
    }

    func testErrorIsOneLineOnStderr() throws {
        let r = try CLI.run(["inspect", "/nonexistent/model.gguf"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "autoscheme: /nonexistent/model.gguf: cannot open: no such file or folder\n")
    }
}
