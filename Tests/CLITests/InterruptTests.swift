import Foundation
import XCTest

/// Interrupted and killed runs: SIGINT removes the partial outputs and exits 130 with one line; a
/// SIGKILL at any moment leaves at the final path nothing or a complete output, and the next run to
/// the same path cleans what the killed one left.
final class InterruptTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("interrupt-\(UUID().uuidString)")
        let bench = try CLI.run(["report", "--layers", "21", "--repeats", "1", "-o", folder.path], tool: "autoscheme-bench")
        XCTAssertEqual(bench.status, 0, bench.stderr)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func start(_ arguments: [String]) throws -> Process {
        let p = Process()
        p.executableURL = CLI.executable()
        p.arguments = arguments
        p.currentDirectoryURL = folder
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        return p
    }

    private func hidden() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
    }

    func testInterruptedSweepWritesNothingAndSaysSo() throws {
        let p = Process(), err = Pipe()
        p.executableURL = CLI.executable()
        // About 6,000 budgets: seconds of work, interrupted after a moment.
        p.arguments = ["search", "21/profile.json", "--sweep", "2.5:8:0.001", "-o", "sweep.json"]
        p.currentDirectoryURL = folder
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        try p.run()
        Thread.sleep(forTimeInterval: 0.5)
        kill(p.processIdentifier, SIGINT)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 130 else {
            // The sweep finished before the signal on a fast machine: then its output is complete.
            XCTAssertEqual(p.terminationStatus, 0, message)
            return
        }
        let lines = message.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, message)
        XCTAssertEqual(lines.first, "autoscheme: interrupted by signal 2; partial outputs removed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("sweep.json").path))
        XCTAssertEqual(try hidden(), [])
    }

    /// 20 `search --sweep` runs killed at random moments: the sweep file is absent or complete JSON with
    /// one plan per frontier point, and no temporary file is left once the next write to it succeeds.
    func testKilledSweepsLeaveNothingOrCompleteFiles() throws {
        var rng = SystemRandomNumberGenerator()
        for i in 0..<20 {
            let p = try start(["search", "21/profile.json", "--sweep", "2.5:8:0.01", "-o", "sweep\(i).json"])
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.4, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let url = folder.appendingPathComponent("sweep\(i).json")
            if FileManager.default.fileExists(atPath: url.path) {
                let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
                let plans = object?["plans"] as? [Any], frontier = object?["frontier"] as? [Any]
                XCTAssertEqual(plans?.count, 551, "sweep\(i).json is cut short")
                XCTAssertEqual(frontier?.count, 551)
            } else {
                let r = try CLI.run(["search", "21/profile.json", "--avg-bits", "3", "-o", "sweep\(i).json"], in: folder)
                XCTAssertEqual(r.status, 0, r.stderr)
            }
        }
        XCTAssertEqual(try hidden(), [], "no temporary file is left behind")
    }

    /// 20 `report` runs killed at random moments: each output folder is absent or complete; a run to
    /// the same path afterwards succeeds and leaves no staging sibling behind.
    func testKilledReportsLeaveNothingOrCompleteFolders() throws {
        var rng = SystemRandomNumberGenerator()
        for i in 0..<20 {
            let out = "out\(i)"
            let p = try start(["report", "21/profile.json", "--plan", "21/plan.json", "--sweep", "21/sweep.json", "-o", out])
            Thread.sleep(forTimeInterval: Double.random(in: 0...0.25, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let url = folder.appendingPathComponent(out)
            if FileManager.default.fileExists(atPath: url.path) {
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: url.path).sorted(), ["report.html", "report.md"], out)
                let html = try String(contentsOf: url.appendingPathComponent("report.html"), encoding: .utf8)
                XCTAssertTrue(html.contains("</html>"), "\(out): report.html is cut short")
            }
        }
        for i in 0..<20 {
            let out = folder.appendingPathComponent("out\(i)")
            if FileManager.default.fileExists(atPath: out.path) { continue }
            let r = try CLI.run(["report", "21/profile.json", "-o", "out\(i)"], in: folder)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertEqual(try hidden(), [], "the next runs removed the killed runs' staging folders")
    }
}
