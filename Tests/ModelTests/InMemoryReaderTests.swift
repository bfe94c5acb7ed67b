import Foundation
import XCTest
@testable import Model

/// The readers fed from memory (`MappedFile(copying:path:)`, the `Data` initializers) give what the
/// same bytes give from a file, and the same typed errors naming the path they were given.
final class InMemoryReaderTests: XCTestCase {
    func testGGUFFromMemoryEqualsFromFile() throws {
        let bytes = tinyLlamaGGUF().bytes()
        let fromFile = try ModelLoader.openGGUF(try TempFiles.write(bytes, name: "tiny.gguf"))
        let file = bytes.withUnsafeBytes { MappedFile(copying: $0, path: "memory.gguf") }
        let fromMemory = try ModelLoader.openGGUF(GGUFTensorSource(files: [GGUFFile(file: file)]), path: file.path)
        XCTAssertEqual(fromMemory.config, fromFile.config)
        XCTAssertEqual(fromMemory.tensors.tensorInfos, fromFile.tensors.tensorInfos)
        for info in fromFile.tensors.tensorInfos {
            XCTAssertEqual(try fromMemory.tensors.floats(info.name), try fromFile.tensors.floats(info.name), info.name)
        }
        let cut = Array(bytes.prefix(40)).withUnsafeBytes { MappedFile(copying: $0, path: "cut.gguf") }
        XCTAssertThrowsError(try GGUFFile(file: cut)) { error in
            guard case let .truncated(path, _, _, _)? = error as? ModelFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "cut.gguf")
        }
        let empty = MappedFile(copying: UnsafeRawBufferPointer(start: nil, count: 0), path: "empty.gguf")
        XCTAssertEqual(empty.count, 0)
        XCTAssertThrowsError(try GGUFFile(file: empty))
    }

    func testSafetensorsAndIndexFromMemory() throws {
        let tensors = [SafetensorsTensor(name: "a.weight", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6], as: .bf16),
                       SafetensorsTensor(name: "b.weight", shape: [2], floats: [-1, 0.5], as: .f32)]
        let dir = try TempFiles.folder()
        try SafetensorsWriter.write(tensors, to: dir + "/model.safetensors")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/model.safetensors"))
        let file = bytes.withUnsafeBytes { MappedFile(copying: $0, path: "memory.safetensors") }
        let single = try SafetensorsFile(file: file)
        XCTAssertEqual(single.tensors.map(\.name), ["a.weight", "b.weight"])
        XCTAssertEqual(try single.floats("a.weight"), [1, 2, 3, 4, 5, 6])
        let index = Data(#"{"weight_map": {"a.weight": "shard.safetensors", "b.weight": "shard.safetensors"}}"#.utf8)
        var opened: [String] = []
        let source = try SafetensorsSource(index: index, path: "model.safetensors.index.json") {
            opened.append($0)
            return try SafetensorsFile(file: MappedFile(copying: file.buffer, path: $0))
        }
        XCTAssertEqual(opened, ["shard.safetensors"])
        XCTAssertEqual(try source.floats("b.weight"), [-1, 0.5])
        let missing = Data(#"{"weight_map": {"c.weight": "shard.safetensors"}}"#.utf8)
        XCTAssertThrowsError(try SafetensorsSource(index: missing, path: "i.json") { try SafetensorsFile(file: MappedFile(copying: file.buffer, path: $0)) }) {
            XCTAssertEqual($0 as? ModelFileError, .tensorNotFound(path: "shard.safetensors", tensor: "c.weight"))
        }
    }

    func testTokenizerFromDataEqualsFromFile() throws {
        var vocab: [String: Int] = [:]
        for byte in 0..<256 { vocab[ByteLevel.token(forByte: UInt8(byte))] = byte }
        vocab["ab"] = 256
        let json = try JSONSerialization.data(withJSONObject: [
            "added_tokens": [["id": 257, "content": "<s>", "special": true]],
            "pre_tokenizer": ["type": "ByteLevel"],
            "model": ["type": "BPE", "vocab": vocab, "merges": ["a b"]],
        ] as [String: Any])
        let config = Data(#"{"bos_token": "<s>", "add_bos_token": true}"#.utf8)
        let dir = URL(fileURLWithPath: try TempFiles.folder())
        try json.write(to: dir.appendingPathComponent("tokenizer.json"))
        try config.write(to: dir.appendingPathComponent("tokenizer_config.json"))
        let fromFile = try Tokenizer(tokenizerJSON: dir.appendingPathComponent("tokenizer.json"))
        let fromData = try Tokenizer(tokenizerJSON: json, path: "tokenizer.json", config: (config, "tokenizer_config.json"))
        let text = "abc <s> ab"
        XCTAssertEqual(fromData.encode(text, addSpecialTokens: true), fromFile.encode(text, addSpecialTokens: true))
        XCTAssertEqual(fromData.bosTokenId, 257)
        XCTAssertThrowsError(try Tokenizer(tokenizerJSON: Data("[]".utf8), path: "memory.json")) {
            XCTAssertEqual($0 as? TokenizerError, .invalidTokenizerFile(path: "memory.json", reason: "not a JSON object"))
        }
    }
}
