import Foundation
import XCTest
@testable import Model

/// Every corrupt safetensors file gives a typed error naming the file, never a crash.
final class CorruptSafetensorsTests: XCTestCase {
    /// A file with `header` as its JSON (padded) and `dataBytes` zero bytes of data.
    private func file(_ header: String, dataBytes: Int, declaredLength: UInt64? = nil) throws -> String {
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        let length = declaredLength ?? UInt64(h.count)
        let bytes = withUnsafeBytes(of: length.littleEndian, Array.init) + h + [UInt8](repeating: 0, count: dataBytes)
        return try TempFiles.write(bytes, name: "bad.safetensors")
    }

    private func assertError(_ path: String, file: StaticString = #filePath, line: UInt = #line,
                             _ check: (ModelFileError) -> Void) {
        XCTAssertThrowsError(try SafetensorsFile(path: path), file: file, line: line) { error in
            guard let e = error as? ModelFileError else { return XCTFail("untyped \(error)", file: file, line: line) }
            XCTAssertTrue(e.errorDescription!.hasPrefix(path), e.errorDescription!, file: file, line: line)
            check(e)
        }
    }

    private let good = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    func testTruncatedFile() throws {
        let path = try TempFiles.write([1, 2, 3], name: "short.safetensors")
        assertError(path) { XCTAssertEqual($0, .truncated(path: path, what: "header length", needed: 8, available: 3)) }
    }

    func testHeaderLengthPastEnd() throws {
        let path = try file(good, dataBytes: 8, declaredLength: 1 << 40)
        assertError(path) { e in
            guard case let .truncated(_, what, needed, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(what, "header")
            XCTAssertEqual(needed, 1 << 40)
        }
    }

    func testBadJSON() throws {
        assertError(try file(#"{"a": {"dtype": "F32", "#, dataBytes: 0)) { e in
            guard case .badHeader = e else { return XCTFail("\(e)") }
        }
        assertError(try file("[1, 2]", dataBytes: 0)) { e in
            guard case let .badHeader(_, reason) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(reason, "JSON header is not an object")
        }
        assertError(try file(#"{"a":{"dtype":"F32","shape":[2]}}"#, dataBytes: 8)) { e in
            guard case .badHeader = e else { return XCTFail("\(e)") }
        }
    }

    func testOffsetsOutOfRange() throws {
        let path = try file(good, dataBytes: 4)
        assertError(path) { XCTAssertEqual($0, .tensorOutOfRange(path: path, tensor: "a", range: 0..<8, dataSize: 4)) }
    }

    func testOverlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let path = try file(header, dataBytes: 12)
        assertError(path) { XCTAssertEqual($0, .overlappingTensors(path: path, first: "a", second: "b")) }
    }

    func testSizeNotShapeTimesDType() throws {
        let path = try file(#"{"a":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8)
        assertError(path) { XCTAssertEqual($0, .sizeMismatch(path: path, tensor: "a", expected: 6, actual: 8)) }
    }

    func testShapeProductOverflow() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1099511627776,1099511627776,16],"data_offsets":[0,8]}}"#
        let path = try file(header, dataBytes: 8)
        assertError(path) { XCTAssertEqual($0, .badShape(path: path, tensor: "a", shape: [1 << 40, 1 << 40, 16], reason: "element count overflows")) }
    }

    func testUnknownDType() throws {
        let path = try file(#"{"a":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}"#, dataBytes: 8)
        assertError(path) { XCTAssertEqual($0, .unknownDType(path: path, tensor: "a", dtype: "F4")) }
    }

    func testBadMetadataAndShape() throws {
        assertError(try file(#"{"__metadata__":{"n":3}}"#, dataBytes: 0)) { e in
            guard case .badHeader = e else { return XCTFail("\(e)") }
        }
        assertError(try file(#"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, dataBytes: 8)) { e in
            guard case let .badShape(_, tensor, _, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(tensor, "a")
        }
    }

    func testIndexNamingMissingShard() throws {
        let dir = try TempFiles.folder()
        try Data(#"{"weight_map":{"a":"missing.safetensors"}}"#.utf8).write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
        XCTAssertThrowsError(try SafetensorsSource(index: dir + "/model.safetensors.index.json")) { error in
            guard case let .cannotOpen(path, _)? = error as? ModelFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, dir + "/missing.safetensors")
        }
    }
}
