import XCTest
@testable import Model

/// Block decoding against values derived by hand from llama.cpp's block layouts.
final class GGUFDequantTests: XCTestCase {
    /// Decodes one block of `storage` from `bytes`.
    private func decode(_ storage: StorageType, _ bytes: [UInt8]) -> [Float] {
        let n = GGMLTypeTraits.forStorage(storage)!.blockSize
        XCTAssertEqual(bytes.count, GGMLTypeTraits.forStorage(storage)!.bytesPerBlock)
        var out = [Float](repeating: .nan, count: n)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { GGUFDequant.decode(storage, src, into: $0.baseAddress!, count: n) }
        }
        return out
    }

    private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }

    func testQ4_0() {
        // d = 0.5 (fp16 0x3800); w = d * (q - 8); low nibbles are weights 0-15, high 16-31.
        var qs = [UInt8](repeating: 0x88, count: 16)
        qs[0] = 0x1F
        qs[15] = 0x80
        let w = decode(.q4_0, le16(0x3800) + qs)
        XCTAssertEqual(w[0], 3.5)     // (15 - 8) * 0.5
        XCTAssertEqual(w[16], -3.5)   // (1 - 8) * 0.5
        XCTAssertEqual(w[15], -4)     // (0 - 8) * 0.5
        XCTAssertEqual(w[31], 0)      // (8 - 8) * 0.5
        XCTAssertEqual(w[7], 0)
    }

    func testQ4_1() {
        // d = 0.25 (0x3400), m = -1 (0xBC00); w = d * q + m.
        var qs = [UInt8](repeating: 0, count: 16)
        qs[0] = 0x3A
        qs[15] = 0xF0
        let w = decode(.q4_1, le16(0x3400) + le16(0xBC00) + qs)
        XCTAssertEqual(w[0], 1.5)     // 10 * 0.25 - 1
        XCTAssertEqual(w[16], -0.25)  // 3 * 0.25 - 1
        XCTAssertEqual(w[15], -1)     // 0 * 0.25 - 1
        XCTAssertEqual(w[31], 2.75)   // 15 * 0.25 - 1
    }

    func testQ8_0() {
        // d = 2 (0x4000); w = d * int8.
        var qs = [UInt8](repeating: 0, count: 32)
        qs[0] = 0x80      // -128
        qs[5] = 3
        qs[31] = 0x7F     // 127
        let w = decode(.q8_0, le16(0x4000) + qs)
        XCTAssertEqual(w[0], -256)
        XCTAssertEqual(w[5], 6)
        XCTAssertEqual(w[31], 254)
        XCTAssertEqual(w[1], 0)
    }

    func testQ5_0() {
        // d = 1 (0x3C00); qh bit j is the 5th bit of weight j; w = d * (q - 16).
        let qh: UInt32 = 0x8001_0001  // bits 0, 16, 31
        var qs = [UInt8](repeating: 0, count: 16)
        qs[0] = 0x21
        let w = decode(.q5_0, le16(0x3C00) + withUnsafeBytes(of: qh.littleEndian, Array.init) + qs)
        XCTAssertEqual(w[0], 1)       // (1 | 16) - 16
        XCTAssertEqual(w[16], 2)      // (2 | 16) - 16
        XCTAssertEqual(w[1], -16)     // 0 - 16
        XCTAssertEqual(w[15], -16)
        XCTAssertEqual(w[31], 0)      // (0 | 16) - 16
    }

    func testQ4_K() {
        // d = 1, dmin = 0.5; sub-block 0: scale 2, min 3; sub-block 4: scale 5 | (1 << 4) = 21, min 2.
        var scales = [UInt8](repeating: 0, count: 12)
        scales[0] = 0x42   // scale0 = 2, top bits 1 -> high bits of scale4
        scales[4] = 3      // min0 = 3
        scales[8] = 0x25   // scale4 low 5, min4 low 2
        var qs = [UInt8](repeating: 0, count: 128)
        qs[0] = 0x07       // weight 0 (low nibble, sub-block 0); weight 32 (high nibble, sub-block 1) = 0
        qs[64] = 0x0A      // weight 128 (low nibble, sub-block 4)
        let w = decode(.q4_K, le16(0x3C00) + le16(0x3800) + scales + qs)
        XCTAssertEqual(w[0], 12.5)    // 1*2*7 - 0.5*3
        XCTAssertEqual(w[1], -1.5)    // 1*2*0 - 0.5*3
        XCTAssertEqual(w[32], 0)      // sub-block 1 has scale 0 and min 0
        XCTAssertEqual(w[128], 209)   // 1*21*10 - 0.5*2
        XCTAssertEqual(w[129], -1)    // 0 - 0.5*2
    }

    func testQ6_K() {
        // ql[128], qh[64], int8 scales[16], f16 d = 0.5; w = d * scale * (q - 32).
        var ql = [UInt8](repeating: 0, count: 128), qh = [UInt8](repeating: 0, count: 64)
        var sc = [Int8](repeating: 0, count: 16)
        ql[0] = 0x35; qh[0] = 0xE4       // 2-bit groups 0, 1, 2, 3
        ql[32] = 0xF0
        ql[64] = 0x01; qh[32] = 0x03
        sc[0] = 4; sc[1] = 1; sc[2] = 1; sc[4] = -2; sc[6] = 3; sc[8] = -1
        let w = decode(.q6_K, ql + qh + sc.map { UInt8(bitPattern: $0) } + le16(0x3800))
        XCTAssertEqual(w[0], -54)     // 0.5*4*((5 | 0<<4) - 32)
        XCTAssertEqual(w[32], -8)     // 0.5*1*((0 | 1<<4) - 32)
        XCTAssertEqual(w[64], -3)     // 0.5*(-2)*((3 | 2<<4) - 32)
        XCTAssertEqual(w[96], 46.5)   // 0.5*3*((15 | 3<<4) - 32)
        XCTAssertEqual(w[16], -16)    // 0.5*1*(0 - 32), scale index 1
        XCTAssertEqual(w[128], -8.5)  // 0.5*(-1)*((1 | 3<<4) - 32)
    }

    func testHalfFormats() {
        let f16: [UInt8] = [0x00, 0x3C, 0x00, 0xC0]   // 1.0, -2.0
        let bf16: [UInt8] = [0x80, 0x3F, 0x49, 0x40]  // 1.0, 3.140625
        var out = [Float](repeating: 0, count: 2)
        f16.withUnsafeBytes { s in out.withUnsafeMutableBufferPointer { GGUFDequant.decode(.f16, s, into: $0.baseAddress!, count: 2) } }
        XCTAssertEqual(out, [1, -2])
        bf16.withUnsafeBytes { s in out.withUnsafeMutableBufferPointer { GGUFDequant.decode(.bf16, s, into: $0.baseAddress!, count: 2) } }
        XCTAssertEqual(out, [1, 3.140625])
    }

    func testFloat8E4M3() {
        XCTAssertEqual(Float8E4M3.decode(0x38), 1)        // e = 7, m = 0
        XCTAssertEqual(Float8E4M3.decode(0x7E), 448)      // largest finite
        XCTAssertEqual(Float8E4M3.decode(0xC4), -3)       // -(1 + 4/8) * 2
        XCTAssertEqual(Float8E4M3.decode(0x01), 0x1p-9)   // smallest subnormal
        XCTAssertTrue(Float8E4M3.decode(0x7F).isNaN)
    }

    func testNameMapping() {
        let pairs = [
            ("token_embd.weight", "model.embed_tokens.weight"),
            ("blk.12.attn_q.weight", "model.layers.12.self_attn.q_proj.weight"),
            ("blk.0.attn_k.bias", "model.layers.0.self_attn.k_proj.bias"),
            ("blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"),
            ("blk.3.ffn_down.weight", "model.layers.3.mlp.down_proj.weight"),
            ("blk.3.attn_norm.weight", "model.layers.3.input_layernorm.weight"),
            ("blk.3.ffn_norm.weight", "model.layers.3.post_attention_layernorm.weight"),
            ("blk.3.attn_q_norm.weight", "model.layers.3.self_attn.q_norm.weight"),
            ("output_norm.weight", "model.norm.weight"),
            ("output.weight", "lm_head.weight"),
            ("rope_freqs.weight", "rope_freqs.weight"),
        ]
        for (g, h) in pairs {
            XCTAssertEqual(GGUFNames.huggingFace(g), h)
            XCTAssertEqual(GGUFNames.gguf(h), g)
        }
    }
}
