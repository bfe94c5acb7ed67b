import Foundation
import IO
import XCTest

final class JSONPolicyTests: XCTestCase {
    struct Sample: Codable, Equatable { var b: Double; var a: [Double]; var path: String }

    /// Finite numbers come out as `JSONEncoder` writes them; non-finite ones as strings that read back.
    func testNonFiniteNumbersRoundTrip() throws {
        let value = Sample(b: 1.5, a: [.nan, .infinity, -.infinity, 0.1], path: "a/b")
        let text = try JSONPolicy.string(value, style: .compact)
        XCTAssertEqual(text, #"{"a":["nan","inf","-inf",0.1],"b":1.5,"path":"a\/b"}"#)
        let back = try JSONPolicy.decode(Sample.self, from: Data(text.utf8))
        XCTAssertTrue(back.a[0].isNaN)
        XCTAssertEqual(Array(back.a.dropFirst()), [.infinity, -.infinity, 0.1])
    }

    /// The policy's bytes equal a plain sorted-keys encoder's for finite values (outputs stay identical).
    func testFiniteOutputMatchesPlainEncoder() throws {
        let value = Sample(b: 2.25e-7, a: [1, 3.0e38, -0.0], path: "x/y")
        let plain = JSONEncoder()
        plain.outputFormatting = [.prettyPrinted, .sortedKeys]
        XCTAssertEqual(try JSONPolicy.encode(value), try plain.encode(value))
        XCTAssertEqual(try JSONPolicy.string(value, style: .compact, escapingSlashes: false),
                       #"{"a":[1,3e+38,-0],"b":2.25e-07,"path":"x/y"}"#)
    }
}

final class StagedFolderTests: XCTestCase {
    private func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("iotests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func testBuildMovesCompleteFolderIntoPlace() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        try StagedFolder(out, existing: .refuseNonEmpty).build { try Data("1".utf8).write(to: $0.appendingPathComponent("a")) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["out"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["a"])
    }

    func testReplaceRules() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("old".utf8).write(to: out.appendingPathComponent("old"))
        XCTAssertThrowsError(try StagedFolder(out, existing: .refuseNonEmpty).build { _ in }) {
            XCTAssertEqual($0 as? StagedFolderError, .notEmpty(path: out.standardizedFileURL.path))
        }
        struct Failure: Error {}
        XCTAssertThrowsError(try StagedFolder(out, existing: .replace).build { folder in
            try Data("new".utf8).write(to: folder.appendingPathComponent("new"))
            throw Failure()
        }) { XCTAssertTrue($0 is Failure) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["old"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["out"])
        try StagedFolder(out, existing: .replace).build { try Data("new".utf8).write(to: $0.appendingPathComponent("new")) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["new"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root.path), ["out"])
        let file = root.appendingPathComponent("file")
        try Data().write(to: file)
        XCTAssertThrowsError(try StagedFolder(file, existing: .replace).build { _ in }) {
            XCTAssertEqual($0 as? StagedFolderError, .notAFolder(path: file.standardizedFileURL.path))
        }
    }
}

final class ProgressClockTests: XCTestCase {
    func testETA() {
        XCTAssertEqual(ProgressClock.eta(elapsed: 10, done: 2, total: 6), 20)
        XCTAssertEqual(ProgressClock.eta(elapsed: 10, done: 0, total: 6), 0)
        XCTAssertEqual(ProgressClock.eta(elapsed: 10, fraction: 0.25), 30)
        XCTAssertEqual(ProgressClock.eta(elapsed: 10, fraction: 1), 0)
        XCTAssertEqual(ProgressClock.eta(elapsed: 10, fraction: 0), 0)
    }
}

final class AtomicStreamTests: XCTestCase {
    private func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Bytes arrive in pieces and are counted; the file appears only when complete, and missing
    /// parent folders are created.
    func testStreamWritesPiecesThenRenames() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("sub/out.bin")
        try AtomicFile.stream(to: url) { out in
            try out.write([1, 2, 3])
            XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
            try out.writeZeros(2)
            try [UInt8](repeating: 9, count: 3).withUnsafeBytes { try out.write($0) }
            XCTAssertEqual(out.bytesWritten, 8)
        }
        XCTAssertEqual([UInt8](try Data(contentsOf: url)), [1, 2, 3, 0, 0, 9, 9, 9])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path), ["out.bin"])
    }

    /// An error thrown while filling removes the temporary and keeps the file that was there.
    func testFailureKeepsTheOldFileAndLeavesNoTemporary() throws {
        struct Stop: Error {}
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("out.bin")
        try Data([7]).write(to: url)
        XCTAssertThrowsError(try AtomicFile.stream(to: url) { out in
            try out.write([1, 2])
            throw Stop()
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual([UInt8](try Data(contentsOf: url)), [7])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["out.bin"])
        XCTAssertThrowsError(try AtomicFile.stream(to: folder) { _ in }) { error in
            XCTAssertEqual(error as? OutputPathError,
                           .notReplaceable(path: folder.path, kind: "a folder", expected: "a regular file or a new path"))
        }
    }
}
