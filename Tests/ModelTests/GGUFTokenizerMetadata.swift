import Foundation
@testable import Model

/// A minimal reader of the `tokenizer.ggml.*` metadata of a GGUF file, for tests.
///
/// Layout: "GGUF", u32 version, u64 tensor count, u64 key-value count, then pairs of
/// (u64-length key, u32 type, value); type 8 is a string (u64 length + bytes), 9 an array
/// (u32 element type, u64 count, elements); fixed sizes: 0/1/7 one byte, 2/3 two, 4/5/6 four,
/// 10/11/12 eight. Little-endian.
struct GGUFTokenizerMetadata {
    struct ReadError: Error, CustomStringConvertible { let description: String }

    var tokens: [String] = []
    var merges: [String] = []
    var tokenTypes: [Int32]?
    var pre = "gpt2"
    var bos: Int?
    var eos: Int?
    var addBos = false

    func tokenizer() throws -> Tokenizer {
        try Tokenizer(tokens: tokens, merges: merges, tokenTypes: tokenTypes,
                      preTokenizer: try PreTokenizer(named: pre), bosTokenId: bos, eosTokenId: eos, addBos: addBos)
    }

    static func read(_ url: URL) throws -> GGUFTokenizerMetadata {
        let data = try Data(contentsOf: url, options: .alwaysMapped)
        return try data.withUnsafeBytes { raw in
            var cursor = Cursor(bytes: raw)
            guard try cursor.bytes(4) == Array("GGUF".utf8) else { throw ReadError(description: "not GGUF") }
            _ = try cursor.u32()
            _ = try cursor.u64()
            let pairs = try cursor.u64()
            var meta = GGUFTokenizerMetadata()
            for _ in 0..<pairs {
                let key = try cursor.string()
                let type = try cursor.u32()
                switch key {
                case "tokenizer.ggml.tokens": meta.tokens = try cursor.stringArray(type)
                case "tokenizer.ggml.merges": meta.merges = try cursor.stringArray(type)
                case "tokenizer.ggml.token_type": meta.tokenTypes = try cursor.int32Array(type)
                case "tokenizer.ggml.pre": meta.pre = try cursor.string()
                case "tokenizer.ggml.bos_token_id": meta.bos = Int(try cursor.u32())
                case "tokenizer.ggml.eos_token_id": meta.eos = Int(try cursor.u32())
                case "tokenizer.ggml.add_bos_token": meta.addBos = try cursor.bytes(1)[0] != 0
                default: try cursor.skip(type)
                }
            }
            return meta
        }
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        mutating func bytes(_ count: Int) throws -> [UInt8] {
            guard count >= 0, offset + count <= bytes.count else { throw ReadError(description: "truncated") }
            defer { offset += count }
            return Array(bytes[offset..<(offset + count)])
        }
        mutating func u32() throws -> UInt32 {
            try bytes(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }
        mutating func u64() throws -> UInt64 {
            try bytes(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        mutating func string() throws -> String {
            String(decoding: try bytes(Int(try u64())), as: UTF8.self)
        }
        mutating func stringArray(_ type: UInt32) throws -> [String] {
            guard type == 9, try u32() == 8 else { throw ReadError(description: "expected array of strings") }
            return try (0..<Int(try u64())).map { _ in try string() }
        }
        mutating func int32Array(_ type: UInt32) throws -> [Int32] {
            guard type == 9, try u32() == 5 else { throw ReadError(description: "expected array of i32") }
            return try (0..<Int(try u64())).map { _ in Int32(bitPattern: try u32()) }
        }
        mutating func skip(_ type: UInt32) throws {
            let fixed: [UInt32: Int] = [0: 1, 1: 1, 7: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 10: 8, 11: 8, 12: 8]
            if let size = fixed[type] {
                _ = try bytes(size)
            } else if type == 8 {
                _ = try string()
            } else if type == 9 {
                let element = try u32()
                for _ in 0..<(try u64()) { try skip(element) }
            } else {
                throw ReadError(description: "unknown type \(type)")
            }
        }
    }
}
