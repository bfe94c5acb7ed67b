import Foundation
import XCTest
@testable import Model

/// Locates the cached assets (`AUTOSCHEME_CACHE` or ~/.cache/autoscheme) and builds the default
/// model's tokenizer from its GGUF metadata, once per test process.
enum TokenizerAssets {
    static var cacheFolder: URL {
        if let custom = ProcessInfo.processInfo.environment["AUTOSCHEME_CACHE"], !custom.isEmpty {
            return URL(fileURLWithPath: custom)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/autoscheme")
    }

    static func file(_ name: String) throws -> URL {
        let url = cacheFolder.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is absent; run scripts/fetch-assets")
        }
        return url
    }

    private static let cached: Result<(Tokenizer, GGUFFile), Error>? = {
        guard let url = try? file("SmolLM2-135M-Instruct.Q4_1.gguf") else { return nil }
        return Result {
            let gguf = try GGUFFile(path: url.path)
            return (try Tokenizer(ggufMetadata: gguf.metadata, source: url.path), gguf)
        }
    }()

    /// The SmolLM2-135M-Instruct tokenizer (skips the test if the model is not cached).
    static func smolLM2() throws -> Tokenizer {
        guard let cached else { throw XCTSkip("SmolLM2 GGUF not cached; run scripts/fetch-assets") }
        return try cached.get().0
    }

    /// The default model's GGUF file (skips the test if the model is not cached).
    static func smolLM2File() throws -> GGUFFile {
        guard let cached else { throw XCTSkip("SmolLM2 GGUF not cached; run scripts/fetch-assets") }
        return try cached.get().1
    }
}
