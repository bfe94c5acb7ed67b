import Foundation
import XCTest
@testable import IO

/// Leftovers of interrupted writes, special files at output paths, and output paths that are inputs.
final class StagingCleanupTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("staging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    private func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() }

    /// A dead process's `.tmp-PID` is removed; its `.old-PID` is moved back when the destination is
    /// missing (it died between its two renames); a live process's siblings are left alone.
    func testStaleSiblingsOfDeadProcessesAreCleaned() throws {
        let out = root.appendingPathComponent("out")
        let dead: Int32 = 999_999_999, alive = getpid()
        for name in [".out.tmp-\(dead)", ".out.old-\(dead)", ".out.tmp-\(alive)x", ".other.tmp-\(dead)"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(name), withIntermediateDirectories: true)
        }
        try Data("kept".utf8).write(to: root.appendingPathComponent(".out.old-\(dead)/a"))
        StagingCleanup.removeStale(beside: out)
        XCTAssertEqual(try names(), [".other.tmp-\(dead)", ".out.tmp-\(alive)x", "out"])
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("a")), Data("kept".utf8))
        XCTAssertTrue(StagingCleanup.isRunning(getpid()))
        XCTAssertFalse(StagingCleanup.isRunning(dead))
    }

    /// An interrupt removes what is registered, nothing else.
    func testRegisteredStagingIsRemovedOnInterrupt() throws {
        let staging = root.appendingPathComponent(".out.tmp-\(getpid())")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        StagingCleanup.register(staging)
        StagingCleanup.removeRegistered()
        XCTAssertEqual(try names(), [])
    }

    /// Symbolic links, FIFOs and devices at an output path are never replaced.
    func testSpecialOutputsAreNotReplaced() throws {
        let target = root.appendingPathComponent("target")
        try Data("target".utf8).write(to: target)
        let link = root.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        XCTAssertThrowsError(try AtomicFile.write(Data("new".utf8), to: link)) { error in
            guard case .notReplaceable(link.path, "a symbolic link", _)? = error as? OutputPathError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try StagedFolder(link, existing: .replace).build { _ in }) { error in
            XCTAssertEqual(error as? StagedFolderError, .notReplaceable(path: link.path, kind: "a symbolic link"))
        }
        XCTAssertThrowsError(try AtomicFile.write(Data(), to: URL(fileURLWithPath: "/dev/null"))) { error in
            guard case .notReplaceable("/dev/null", "a character device", _)? = error as? OutputPathError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try Data(contentsOf: target), Data("target".utf8))
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), target.path)
        XCTAssertEqual(try names(), ["link", "target"])
    }

    /// An output that resolves to an input (directly, through a link, or a folder holding it) is refused.
    func testOutputsResolvingToInputsAreRefused() throws {
        let input = root.appendingPathComponent("in.json")
        try Data("{}".utf8).write(to: input)
        let alias = root.appendingPathComponent("alias")
        try FileManager.default.createSymbolicLink(at: alias, withDestinationURL: root)
        XCTAssertThrowsError(try OutputPath.check(alias.path + "/in.json", kind: .file, inputs: [input.path])) { error in
            XCTAssertEqual(error as? OutputPathError, .isInput(path: alias.path + "/in.json", input: input.path))
        }
        XCTAssertThrowsError(try OutputPath.check(root.path, kind: .folder, inputs: [alias.path + "/in.json"])) { error in
            XCTAssertEqual(error as? OutputPathError, .holdsInput(path: root.path, input: alias.path + "/in.json"))
        }
        XCTAssertThrowsError(try OutputPath.check(alias.path, kind: .folder, inputs: [input.path])) { error in
            guard case .notReplaceable(alias.path, "a symbolic link", _)? = error as? OutputPathError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try OutputPath.check("", kind: .file, inputs: [])) { error in
            XCTAssertEqual(error as? OutputPathError, .empty(option: "-o"))
        }
        XCTAssertNoThrow(try OutputPath.check(root.path + "/new/out.json", kind: .file, inputs: [input.path]))
        XCTAssertNoThrow(try OutputPath.check(root.path + "/sub", kind: .folder, inputs: [input.path]))
    }
}
