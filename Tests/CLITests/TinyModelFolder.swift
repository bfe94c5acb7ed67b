import Foundation
import Model
import TensorCore
import TestSupport

/// A tiny random Llama model written as a Hugging Face folder, and a text to calibrate it on, so
/// that end-to-end tests run the real `profile` and `quantize` in the unit tier (no cached model).
///
/// The folder holds `config.json` (hidden 64, 2 blocks, 4 heads of 16, 2 KV heads, FFN 128,
/// vocabulary 256, 512 positions), `model.safetensors` (`TinyLlama.tensors`, F32) and a byte-level
/// BPE `tokenizer.json` whose 256 tokens are the bytes (no merges: one token per byte of text).
enum TinyModelFolder {
    static let config = TinyLlama.config(hidden: 64, layers: 2, heads: 4, kvHeads: 2, ffn: 128, vocab: 256,
                                         maxPositions: 512)

    /// Writes the model folder at `folder` (created, with its parents).
    static func write(to folder: URL, seed: UInt64 = 1) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try JSONEncoder().encode(config).write(to: folder.appendingPathComponent("config.json"))
        let memory = TinyLlama.tensors(config, seed: seed)
        let tensors = try memory.tensorInfos.map {
            SafetensorsTensor(name: $0.name, shape: $0.shape, floats: try memory.floats($0.name), as: .f32)
        }
        try SafetensorsWriter.write(tensors, to: folder.appendingPathComponent("model.safetensors").path)
        let vocab = Dictionary(uniqueKeysWithValues: (0..<256).map { (byteToken($0), $0) })
        let tokenizer: [String: Any] = [
            "model": ["type": "BPE", "vocab": vocab, "merges": [String]()],
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
            "added_tokens": [Any](),
        ]
        try JSONSerialization.data(withJSONObject: tokenizer).write(to: folder.appendingPathComponent("tokenizer.json"))
    }

    /// `count` seeded words of 2-8 lowercase letters separated by spaces (about 5.5 tokens per word).
    static func text(words count: Int, seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed)
        let letters = Array("etaoinshrdlucmfwyp")
        return (0..<count).map { _ in
            String((0..<(2 + Int(rng.next() % 7))).map { _ in letters[Int(rng.next() % UInt64(letters.count))] })
        }.joined(separator: " ")
    }

    /// GPT-2's byte-to-character spelling of byte `b` (the printable bytes stand for themselves, the
    /// other 68 map in order to U+0100...).
    private static func byteToken(_ b: Int) -> String {
        func printable(_ x: Int) -> Bool { (0x21...0x7E).contains(x) || (0xA1...0xAC).contains(x) || (0xAE...0xFF).contains(x) }
        let scalar = printable(b) ? b : 256 + (0..<b).filter { !printable($0) }.count
        return String(Character(Unicode.Scalar(UInt32(scalar))!))
    }
}
