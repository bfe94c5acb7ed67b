import Foundation
import XCTest
@testable import Export
@testable import Model

/// GGUF metadata built from a Hugging Face folder of the default model (the config.json,
/// tokenizer.json and tokenizer_config.json this project writes from the GGUF) against the GGUF's
/// own metadata, which llama.cpp's converter wrote from the original folder. Full tier.
final class GGUFWriterHuggingFaceSourceTests: XCTestCase {
    /// Keys the GGUF has that a folder without a model card (README.md) cannot give.
    static let modelCardKeys: Set<String> = ["general.organization", "general.finetune", "general.basename", "general.license",
                                             "general.languages"]
    /// Keys only the built metadata has: `add_eos_token`, which the converter of llama.cpp 0c1e570
    /// writes for a ByteLevel post-processor and the older converter of this GGUF did not; key and
    /// value lengths, as this project's config.json states `head_dim`.
    static let addedKeys: Set<String> = ["tokenizer.ggml.add_eos_token", "llama.attention.key_length", "llama.attention.value_length"]

    func testMetadataBuiltFromTheFolderEqualsTheGGUFs() throws {
        guard let path = Assets.cachedPath(.defaultModel) else { throw XCTSkip("default model not cached") }
        let model = try ModelLoader.open(path)
        let gguf = try XCTUnwrap(model.gguf?.files.first)
        let folder = ExportFixtures.temporaryURL("smollm2-hf")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        try HFMetadataTokenizer.write(model, to: folder)
        try HFMetadataConfig.write(try HFMetadataConfig.base(model), to: folder)

        let built = try GGUFMetadata(huggingFace: folder.path, fileType: .q4_1, name: gguf["general.name"]?.stringValue,
                                     parameterCount: model.parameterCount)
        let source = GGUFMetadata(copying: gguf)
        XCTAssertEqual(Set(source.keys).subtracting(built.keys), Self.modelCardKeys)
        XCTAssertEqual(Set(built.keys).subtracting(source.keys), Self.addedKeys)
        for key in source.keys where built[key] != nil {
            XCTAssertEqual(built[key], source[key], key)
        }
        XCTAssertEqual(built["tokenizer.ggml.add_eos_token"], .bool(false))
        XCTAssertEqual(built["llama.attention.key_length"], .uint32(64))
        // Every tokenizer key of the GGUF is built, equal, from the folder.
        XCTAssertEqual(source.keys.filter { $0.hasPrefix("tokenizer.") }.count, 12)

        // The project's tokenizer from the built metadata encodes alice29 as the GGUF's does.
        if let alice = Assets.cachedPath(.alice29) {
            let text = try Tokenizer.loadText(URL(fileURLWithPath: alice))
            let fromBuilt = try Tokenizer(ggufMetadata: Dictionary(uniqueKeysWithValues: built.entries.map { ($0.key, $0.value) }),
                                          source: folder.path)
            let fromGGUF = try Tokenizer(ggufMetadata: gguf.metadata, source: path)
            XCTAssertEqual(fromBuilt.encode(text, addSpecialTokens: true), fromGGUF.encode(text, addSpecialTokens: true))
        }
    }
}
