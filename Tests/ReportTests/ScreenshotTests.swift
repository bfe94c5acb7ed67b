import Foundation
import Search
import XCTest
import TestSupport
@testable import Report

/// Renders a report, screenshots it with headless Chromium (scripts/screenshot-report) and checks the
/// image is not blank. Skipped when Chromium is not installed (`apt-get install -y chromium`).
final class ScreenshotTests: XCTestCase {
    private var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private func chromiumInstalled() -> Bool {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
        return ["chromium", "chromium-browser", "google-chrome"].contains { name in
            paths.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
        }
    }

    func testReportRendersInChromium() throws {
        guard chromiumInstalled() else {
            throw XCTSkip("Chromium is not installed (apt-get install -y chromium); the render check is skipped.")
        }
        let profile = SyntheticProfile.make(layers: 210, seed: 5)
        let plan = try PlanSearch.run(profile: profile, options: SearchOptions(averageBits: 2.5))
        let dir = try Fixtures.temporaryDirectory()
        try ReportWriter.write(ReportInput(profile: profile, plans: [LabeledPlan(label: "2.5", plan: plan)]), to: dir)
        let process = Process()
        process.executableURL = repository.appendingPathComponent("scripts/screenshot-report")
        process.arguments = [dir.path, dir.appendingPathComponent("shot.png").path, "1000x1400"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        // "PATH 1000x1400 ink=0.2886 colours=4063"
        let fields = Dictionary(uniqueKeysWithValues: output.split(separator: " ").compactMap { part -> (String, String)? in
            let kv = part.split(separator: "=")
            return kv.count == 2 ? (String(kv[0]), kv[1].trimmingCharacters(in: .whitespacesAndNewlines)) : nil
        })
        XCTAssertTrue(output.contains("1000x1400"), output)
        let ink = try XCTUnwrap(Double(fields["ink"] ?? ""), output)
        let colours = try XCTUnwrap(Int(fields["colours"] ?? ""), output)
        XCTAssertGreaterThan(ink, 0.05, "the screenshot is nearly blank: \(output)")
        XCTAssertGreaterThan(colours, 100, "a rendered heatmap has many colours: \(output)")
    }
}
