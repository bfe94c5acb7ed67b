import Foundation
import IO
import XCTest
@testable import Model
import TestSupport

/// Runs `scripts/check-gguf` (the PyPI `gguf` package's reader, in its cached venv) from tests, and
/// writes the expectation it compares with: the key/value pairs and tensors the writer was given.
enum GGUFCheckScript {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Skips in the unit tier (whose cache folder cannot exist): the script keeps its venv in the
    /// cache, and the full tier has the cache.
    static func requireFullTier() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: Assets.cacheDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw XCTSkip("no asset cache at \(Assets.cacheDirectory): scripts/check-gguf keeps its venv there (full tier)")
        }
    }

    /// Exit status and output (stdout and stderr) of `scripts/check-gguf arguments...`.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = repository.appendingPathComponent("scripts/check-gguf")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// One JSON value: integers exact (floats as their IEEE bit patterns), bools, strings, arrays.
    enum Value: Encodable {
        case int(Int64), uint(UInt64), bool(Bool), string(String), array([Value])

        init(_ v: GGUFValue) {
            switch v {
            case .uint8(let x): self = .uint(UInt64(x))
            case .uint16(let x): self = .uint(UInt64(x))
            case .uint32(let x): self = .uint(UInt64(x))
            case .uint64(let x): self = .uint(x)
            case .int8(let x): self = .int(Int64(x))
            case .int16(let x): self = .int(Int64(x))
            case .int32(let x): self = .int(Int64(x))
            case .int64(let x): self = .int(x)
            case .float32(let x): self = .uint(UInt64(x.bitPattern))
            case .float64(let x): self = .uint(x.bitPattern)
            case .bool(let x): self = .bool(x)
            case .string(let x): self = .string(x)
            case .array(let items): self = .array(items.map(Value.init))
            }
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .int(let x): try c.encode(x)
            case .uint(let x): try c.encode(x)
            case .bool(let x): try c.encode(x)
            case .string(let x): try c.encode(x)
            case .array(let x): try c.encode(x)
            }
        }
    }

    struct KV: Encodable {
        let key: String, type: String, elementType: String?, value: Value
        enum CodingKeys: String, CodingKey { case key, type, elementType = "element_type", value }
    }

    struct Tensor: Encodable { let name: String, type: UInt32, dims: [Int], sha256: String? }

    struct Expectation: Encodable { let kv: [KV], tensors: [Tensor] }

    /// gguf-py's `GGUFValueType` names by type id.
    static let typeNames = ["UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32", "BOOL", "STRING", "ARRAY",
                            "UINT64", "INT64", "FLOAT64"]

    /// Writes the expectation for a file written from `metadata` and `tensors` (with the sha256 of
    /// tensors held in memory when `hashes`) next to `path`; returns its path.
    static func writeExpectation(for path: String, metadata: GGUFMetadata, tensors: [GGUFOutputTensor],
                                 hashes: Bool) throws -> String {
        let kv = metadata.entries.map { e in
            KV(key: e.key, type: typeNames[Int(e.value.typeID)],
               elementType: e.value.arrayValue?.first.map { typeNames[Int($0.typeID)] }, value: Value(e.value))
        }
        let infos = tensors.map { t -> Tensor in
            var digest: String?
            if hashes, case .array(let bytes) = t.bytes { digest = sha256Hex(bytes) }
            return Tensor(name: t.name, type: t.type.id, dims: t.dims, sha256: digest)
        }
        let url = URL(fileURLWithPath: path + ".expect.json")
        try AtomicFile.writeJSON(Expectation(kv: kv, tensors: infos), style: .compact, to: url)
        return url.path
    }
}
