import XCTest

/// The runner itself: a child that fills one pipe while the other stays open must not hang.
final class CLIRunnerTests: XCTestCase {
    /// An unknown option of 100,000 characters is echoed in the error on stderr: more than a pipe
    /// buffer (64 KiB on Linux), written before the child closes stdout. No file is read or written.
    func testStderrLongerThanAPipeBufferDoesNotHang() throws {
        let option = "--" + String(repeating: "x", count: 100_000)
        let r = try CLI.run(["search", "p.json", "--avg-bits", "3", "-o", "o.json", option])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertGreaterThan(r.stderr.utf8.count, 65_536)
        XCTAssertTrue(r.stderr.contains(option))
    }
}
