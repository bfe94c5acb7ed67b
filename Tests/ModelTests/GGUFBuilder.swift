import Foundation
import TestSupport
@testable import Model

/// Builds GGUF bytes in tests: metadata of any type, tensors with their raw data, alignment.
struct GGUFBuilder {
    var magic: UInt32 = 0x4655_4747
    var version: UInt32 = 3
    var alignment = 32
    /// Replaces the stored offset of tensor i (to build corrupt files).
    var offsetOverrides = [Int: UInt64]()
    private(set) var kvBytes = [UInt8]()
    private(set) var kvCount = 0
    private(set) var tensors = [(name: String, dims: [Int], type: UInt32, data: [UInt8])]()

    static func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    static func string(_ s: String) -> [UInt8] { u64(UInt64(s.utf8.count)) + Array(s.utf8) }

    /// Adds a key with a type id and its already encoded value bytes.
    mutating func add(_ key: String, type: UInt32, _ value: [UInt8]) {
        kvBytes += Self.string(key) + Self.u32(type) + value
        kvCount += 1
    }
    mutating func add(_ key: String, string: String) { add(key, type: 8, Self.string(string)) }
    mutating func add(_ key: String, u32: UInt32) { add(key, type: 4, Self.u32(u32)) }
    mutating func add(_ key: String, f32: Float) { add(key, type: 6, Self.u32(f32.bitPattern)) }
    mutating func add(_ key: String, strings: [String]) {
        add(key, type: 9, Self.u32(8) + Self.u64(UInt64(strings.count)) + strings.flatMap(Self.string))
    }

    mutating func addTensor(_ name: String, dims: [Int], type: UInt32, data: [UInt8]) {
        tensors.append((name, dims, type, data))
    }

    /// F32 tensor with ggml dims (fastest first).
    mutating func addF32(_ name: String, dims: [Int], _ values: [Float]) {
        addTensor(name, dims: dims, type: 0, data: values.flatMap { Self.u32($0.bitPattern) })
    }

    func bytes() -> [UInt8] {
        var out = Self.u32(magic) + Self.u32(version) + Self.u64(UInt64(tensors.count)) + Self.u64(UInt64(kvCount)) + kvBytes
        var offset = 0
        var offsets = [Int]()
        for t in tensors {
            offsets.append(offset)
            offset = (offset + t.data.count + alignment - 1) / alignment * alignment
        }
        for (i, (t, o)) in zip(tensors, offsets).enumerated() {
            out += Self.string(t.name) + Self.u32(UInt32(t.dims.count)) + t.dims.flatMap { Self.u64(UInt64($0)) }
            out += Self.u32(t.type) + Self.u64(offsetOverrides[i] ?? UInt64(o))
        }
        while out.count % alignment != 0 { out.append(0) }
        for (t, o) in zip(tensors, offsets) {
            out += t.data
            let next = (o + t.data.count + alignment - 1) / alignment * alignment
            out += [UInt8](repeating: 0, count: next - o - t.data.count)
        }
        return out
    }

    /// Writes the bytes to a fresh temporary file and returns its path.
    func write(_ name: String = "model.gguf") throws -> String { try TempFiles.write(bytes(), name: name) }
}

/// Temporary files and folders for tests, under one per-process folder.
enum TempFiles {
    static let root: String = {
        let dir = TestScratch.path("modeltests")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// A new empty folder.
    static func folder(_ name: String = "d") throws -> String {
        let dir = root + "/\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ bytes: [UInt8], name: String) throws -> String {
        let path = try folder() + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// A tiny llama GGUF: 1 block, hidden 4, FFN 8, 2 heads, 1 KV head, vocabulary 3 tokens, F32 weights.
func tinyLlamaGGUF(arch: String = "llama", withBias: Bool = false, withOutput: Bool = false) -> GGUFBuilder {
    var b = GGUFBuilder()
    b.add("general.architecture", string: arch)
    b.add("\(arch).block_count", u32: 1)
    b.add("\(arch).embedding_length", u32: 4)
    b.add("\(arch).feed_forward_length", u32: 8)
    b.add("\(arch).attention.head_count", u32: 2)
    b.add("\(arch).attention.head_count_kv", u32: 1)
    b.add("\(arch).rope.freq_base", f32: 500_000)
    b.add("\(arch).attention.layer_norm_rms_epsilon", f32: 1e-6)
    b.add("\(arch).context_length", u32: 128)
    b.add("tokenizer.ggml.tokens", strings: ["a", "b", "c"])
    b.add("tokenizer.ggml.bos_token_id", u32: 1)
    let ramp = { (n: Int) in (0..<n).map { Float($0) * 0.5 - 1 } }
    b.addF32("token_embd.weight", dims: [4, 3], ramp(12))
    for (part, dims) in [("attn_q", [4, 4]), ("attn_k", [4, 2]), ("attn_v", [4, 2]), ("attn_output", [4, 4]),
                         ("ffn_gate", [4, 8]), ("ffn_up", [4, 8]), ("ffn_down", [8, 4])] {
        b.addF32("blk.0.\(part).weight", dims: dims, ramp(dims[0] * dims[1]))
    }
    if withBias { b.addF32("blk.0.attn_q.bias", dims: [4], ramp(4)) }
    b.addF32("blk.0.attn_norm.weight", dims: [4], [1, 1, 1, 1])
    b.addF32("blk.0.ffn_norm.weight", dims: [4], [1, 1, 1, 1])
    b.addF32("output_norm.weight", dims: [4], [1, 2, 3, 4])
    if withOutput { b.addF32("output.weight", dims: [4, 3], ramp(12)) }
    return b
}
