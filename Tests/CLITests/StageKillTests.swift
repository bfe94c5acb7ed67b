import Export
import Foundation
import Quant
import Sensitivity
import TensorCore
import XCTest

/// `profile` and `quantize` killed (SIGKILL) at seeded random moments, on a tiny model written by the
/// test (`TinyModelFolder`): the final path never holds anything but a complete output that our own
/// readers load, and the next run to the same path leaves no staging sibling behind.
///
/// Each kill lands uniformly in [0, 1.1 T] after the start, T being an uninterrupted run's time, so
/// the kills spread over loading, the work and the final write. The quantize runs all write to one
/// folder with `--overwrite`, so kills also land between moving the old folder aside and the new
/// one into place.
final class StageKillTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("stage-kill-\(UUID().uuidString)")
        try TinyModelFolder.write(to: folder.appendingPathComponent("tiny"))
        try TinyModelFolder.text(words: 2000, seed: 3).write(to: folder.appendingPathComponent("calib.txt"),
                                                            atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Small settings: 4 windows of 64 tokens, two g32 formats, no target fallbacks.
    let profileArguments = ["profile", "tiny", "--calib", "calib.txt", "--formats", "int4/g32,int8/g32", "--target", "any",
                            "--nsamples", "4", "--seqlen", "64", "--probe-windows", "1", "--probe-length", "32"]

    func quantizeArguments(_ output: String) -> [String] {
        ["quantize", "tiny", "--plan", "plan.json", "--calib", "calib.txt", "--nsamples", "4", "--seqlen", "64",
         "--iters", "20", "--batch-size", "2", "-o", output, "--overwrite"]
    }

    func testKilledProfilesLeaveNothingOrCompleteFiles() throws {
        let seconds = try timedRun(profileArguments + ["-o", "done.json"])
        XCTAssertEqual(try SensitivityProfile.load(from: file("done.json")).layers.count, 14)
        try killRepeatedly(profileArguments + ["-o", "profile.json"], seconds: seconds, seed: 22) {
            let url = self.file("profile.json")
            guard FileManager.default.fileExists(atPath: url.path) else { return }
            XCTAssertEqual(try SensitivityProfile.load(from: url).layers.count, 14, "profile.json is not a complete profile")
        }
        XCTAssertEqual(try CLI.run(profileArguments + ["-o", "profile.json"], in: folder).status, 0)
        XCTAssertEqual(try hidden(), [], "the next run removed the killed runs' temporary files")
    }

    func testKilledQuantizeRunsLeaveNothingOrCompleteCheckpoints() throws {
        XCTAssertEqual(try CLI.run(profileArguments + ["-o", "profile.json"], in: folder).status, 0)
        let search = try CLI.run(["search", "profile.json", "--avg-bits", "6", "--target", "any", "-o", "plan.json"], in: folder)
        XCTAssertEqual(search.status, 0, search.stderr)
        let seconds = try timedRun(quantizeArguments("done"))
        try checkCheckpoint("done")
        try killRepeatedly(quantizeArguments("out"), seconds: seconds, seed: 23) {
            guard FileManager.default.fileExists(atPath: self.file("out").path) else { return }
            try self.checkCheckpoint("out")
        }
        let again = try CLI.run(quantizeArguments("out"), in: folder)
        XCTAssertEqual(again.status, 0, again.stderr)
        try checkCheckpoint("out")
        XCTAssertEqual(try hidden(), [], "the next run removed the killed runs' staging folders")
    }

    // MARK: - Helpers

    func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

    private func hidden() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
    }

    /// Runs `arguments` to the end twice (the first run also warms the file cache); returns the
    /// shorter wall time in seconds.
    private func timedRun(_ arguments: [String]) throws -> Double {
        try (0..<2).map { _ in
            let start = Date()
            let r = try CLI.run(arguments, in: folder)
            XCTAssertEqual(r.status, 0, r.stderr)
            return Date().timeIntervalSince(start)
        }.min() ?? 0
    }

    /// Runs `arguments` and kills each run after a seeded random delay in [0, 1.1 T] until 20 runs
    /// were killed before they ended (at most 60 runs); `check` looks at the final path after each.
    /// T starts as `seconds` and drops to the wall time of any run that ends on its own first, so a
    /// timing taken while the machine was busier than now still spreads the kills over the run.
    private func killRepeatedly(_ arguments: [String], seconds: Double, seed: UInt64, check: () throws -> Void) throws {
        var rng = SplitMix64(seed: seed)
        var horizon = seconds
        var killed = 0, runs = 0
        while killed < 20 && runs < 60 {
            runs += 1
            let p = Process()
            p.executableURL = CLI.executable()
            p.arguments = arguments
            p.currentDirectoryURL = folder
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            let delay = Double.random(in: 0...(1.1 * horizon), using: &rng)
            let start = Date()
            try p.run()
            while p.isRunning && Date().timeIntervalSince(start) < delay { Thread.sleep(forTimeInterval: 0.002) }
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
            } else {
                horizon = min(horizon, Date().timeIntervalSince(start))
            }
            p.waitUntilExit()
            if p.terminationReason == .exit { XCTAssertEqual(p.terminationStatus, 0, "a run that was not killed failed") }
            if p.terminationReason == .uncaughtSignal { killed += 1 }
            try check()
        }
        XCTAssertEqual(killed, 20, "runs ended before their kill")
        print("\(arguments[0]): an uninterrupted run takes \(String(format: "%.2f", seconds)) s, then \(String(format: "%.2f", horizon)) s; \(killed) of \(runs) runs killed")
    }

    /// The checkpoint folder `name` is complete: our reader opens it, every planned layer has its
    /// statistics in `quantize-stats.json`.
    private func checkCheckpoint(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = self.file(name)
        let model = try QuantizedCheckpointLoader.open(url.path)
        XCTAssertEqual(model.linearLayers.count, 14, file: file, line: line)
        let stats = try JSONDecoder().decode(QuantizeStats.self, from: Data(contentsOf: url.appendingPathComponent("quantize-stats.json")))
        XCTAssertEqual(stats.layers.count, 14, "\(name)/quantize-stats.json", file: file, line: line)
    }
}
