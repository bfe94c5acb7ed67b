import Foundation
import XCTest
import TensorCore
@testable import Export
@testable import Model
@testable import Formats

/// The stored tensors decoded by small independent decoders written from the layout (not the packer).
final class QuantizedCheckpointLayoutTests: XCTestCase {
    /// Writes the tiny model (rotate-half, so rows are not reordered) and returns its folder.
    func export(_ layers: inout [QuantizedLayer]) throws -> URL {
        let model = try ExportFixtures.model(layout: .rotateHalf)
        layers = try ExportFixtures.quantize(model, formats: try ExportFixtures.formats())
        let out = ExportFixtures.temporaryURL("layout")
        try AutoRoundCheckpoint.write(model: model, layers: layers, to: out, overwrite: false)
        addTeardownBlock { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        return out
    }

    /// Little-endian UInt32 at byte offset `i`.
    func le32(_ raw: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        var v: UInt32 = 0
        for b in 0..<4 { v |= UInt32(raw[i + b]) << UInt32(8 * b) }
        return v
    }

    func le32(_ raw: [UInt8], _ i: Int) -> UInt32 { raw.withUnsafeBytes { le32($0, i) } }

    func int32s(_ f: SafetensorsFile, _ name: String) throws -> (shape: [Int], values: [UInt32]) {
        let info = try XCTUnwrap(f.info(name))
        XCTAssertEqual(info.dtype, .i32, name)
        let raw = try f.rawBytes(name)
        let values = (0..<(raw.count / 4)).map { le32(raw, 4 * $0) }
        return (info.shape, values)
    }

    /// Bit `k * bits` onward of the little-endian bit stream of column `o` of a `rows x out` word array.
    func field(_ words: [UInt32], rows: Int, out: Int, column o: Int, index k: Int, bits: Int) -> Int {
        var value = 0
        for b in 0..<bits {
            let bit = k * bits + b
            let word = words[(bit / 32) * out + o]
            value |= Int((word >> UInt32(bit % 32)) & 1) << b
        }
        return value
    }

    func testIntLayersDecodeToTheirCodesZerosAndScales() throws {
        var layers: [QuantizedLayer] = []
        let folder = try export(&layers)
        let file = try SafetensorsFile(path: folder.appendingPathComponent("model.safetensors").path)
        var widths = Set<Int>()
        for layer in layers where layer.format.family == .int {
            let q = layer.tensor, bits = q.format.bits, out = q.rows
            guard case let .group(g) = q.format.granularity, case let .bytes(codes) = q.codes else { return XCTFail() }
            widths.insert(bits)
            let (qs, qweight) = try int32s(file, layer.module + ".qweight")
            XCTAssertEqual(qs[1], out)
            XCTAssertEqual(qs[0], (q.cols + 31) / 32 * bits, "\(layer.module): inputs padded to 32, bits words per 32 inputs")
            for o in 0..<out {
                for k in 0..<q.cols {
                    let code = field(qweight, rows: qs[0], out: out, column: o, index: k, bits: bits)
                    if code != Int(codes[o * q.cols + k]) {
                        return XCTFail("\(layer.module) [\(o), \(k)]: decoded \(code), expected \(codes[o * q.cols + k])")
                    }
                }
            }
            let groups = (q.cols + g - 1) / g
            let (zs, qzeros) = try int32s(file, layer.module + ".qzeros")
            XCTAssertEqual(zs, [groups, (out * bits + 31) / 32])
            for grp in 0..<groups {
                let row = Array(qzeros[(grp * zs[1])..<((grp + 1) * zs[1])])
                for o in 0..<out {
                    let stored = field(row, rows: zs[1], out: 1, column: 0, index: o, bits: bits)
                    let zero = q.format.symmetric ? 1 << (bits - 1) : Int(q.zeroPoints![o * groups + grp])
                    XCTAssertEqual(stored, (zero - 1) & ((1 << bits) - 1), "\(layer.module) zero of group \(grp), output \(o)")
                }
            }
            let scaleInfo = try XCTUnwrap(file.info(layer.module + ".scales"))
            XCTAssertEqual(scaleInfo.dtype, .f16)
            XCTAssertEqual(scaleInfo.shape, [groups, out])
            let raw = try file.rawBytes(layer.module + ".scales")
            for grp in 0..<groups {
                for o in stride(from: 0, to: out, by: 7) {
                    let i = grp * out + o
                    let half = UInt16(raw[2 * i]) | UInt16(raw[2 * i + 1]) << 8
                    XCTAssertEqual(Float(Float16(bitPattern: half)), q.scales[o * groups + grp])
                }
            }
        }
        XCTAssertEqual(widths, [2, 3, 4, 8])
    }

    /// Hand-computed words: int4 codes 0...15 along a row pack as nibbles, first code lowest:
    /// 0x76543210 and 0xFEDCBA98; int3 codes 1,2,3,... straddle words (code 10 takes bits 30-32).
    func testHandComputedPackedWords() throws {
        var layers: [QuantizedLayer] = []
        _ = try export(&layers)
        var q = try XCTUnwrap(layers.first { $0.format == (try? QuantFormat.int(bits: 4, groupSize: 128)) }).tensor
        var codes = [UInt8](repeating: 8, count: q.rows * q.cols)
        for k in 0..<16 { codes[k] = UInt8(k) }
        q.codes = .bytes(codes)
        let tensors = try QuantizedCheckpointTensors.tensors(q, module: "m")
        let qweight = tensors[0].bytes
        func word(_ r: Int, _ o: Int) -> UInt32 { le32(qweight, (r * q.rows + o) * 4) }
        XCTAssertEqual(word(0, 0), 0x7654_3210)
        XCTAssertEqual(word(1, 0), 0xFEDC_BA98)
        XCTAssertEqual(word(0, 1), 0x8888_8888)
        // int3: codes 1, 2, ..., 7, 0, 1, 2, 3 ... ; word 0 holds codes 0-9 and the low 2 bits of code 10.
        var q3 = try XCTUnwrap(layers.first { $0.format.bits == 3 }).tensor
        var c3 = [UInt8](repeating: 0, count: q3.rows * q3.cols)
        for k in 0..<11 { c3[k] = UInt8((k + 1) % 8) }
        q3.codes = .bytes(c3)
        let w3 = try QuantizedCheckpointTensors.tensors(q3, module: "m")[0].bytes
        let out3 = q3.rows
        let first = le32(w3, 0)
        let second = le32(w3, 4 * out3)
        var expected: UInt64 = 0
        for k in 0..<11 { expected |= UInt64((k + 1) % 8) << UInt64(3 * k) }
        XCTAssertEqual(first, UInt32(truncatingIfNeeded: expected))
        XCTAssertEqual(second & 0x3, UInt32(truncatingIfNeeded: expected >> 32) & 0x3)  // code 10 = 3 = 0b011: bit 0 in word 1
    }

    func testFloatLayersAreStoredAsAutoRoundStoresThem() throws {
        var layers: [QuantizedLayer] = []
        let folder = try export(&layers)
        let file = try SafetensorsFile(path: folder.appendingPathComponent("model.safetensors").path)
        let mx = try XCTUnwrap(layers.first { $0.format == .mxfp4 })
        XCTAssertEqual(file.info(mx.module + ".weight_packed")?.dtype, .u8)
        XCTAssertEqual(file.info(mx.module + ".weight_packed")?.shape, [256, 64])
        XCTAssertEqual(file.info(mx.module + ".weight_scale")?.dtype, .u8)
        XCTAssertEqual(file.info(mx.module + ".weight_scale")?.shape, [256, 4])
        guard case let .bytes(mxCodes) = mx.tensor.codes else { return XCTFail() }
        let packed = try file.rawBytes(mx.module + ".weight_packed")
        XCTAssertEqual(packed[5] & 0xF, mxCodes[10])
        XCTAssertEqual(packed[5] >> 4, mxCodes[11])
        let e8m0 = try file.rawBytes(mx.module + ".weight_scale")
        XCTAssertEqual(Float(sign: .plus, exponent: Int(e8m0[1]) - 127, significand: 1), mx.tensor.scales[1])
        let nv = try XCTUnwrap(layers.first { $0.format == .nvfp4 })
        XCTAssertEqual(file.info(nv.module + ".weight_scale")?.dtype, .f8e4m3)
        XCTAssertEqual(file.info(nv.module + ".weight_scale")?.shape, [256, 8])
        XCTAssertEqual(file.info(nv.module + ".weight_global_scale")?.shape, [1])
        XCTAssertEqual(try file.floats(nv.module + ".weight_global_scale"), [nv.tensor.globalScale!])
        XCTAssertEqual(Float8E4M3.decode(try file.rawBytes(nv.module + ".weight_scale")[3]), nv.tensor.scales[3])
        let fp8 = try XCTUnwrap(layers.first { $0.format == .fp8 })
        XCTAssertEqual(file.info(fp8.module + ".weight")?.dtype, .f8e4m3)
        XCTAssertEqual(file.info(fp8.module + ".weight_scale_inv")?.shape, [1, 2])
        XCTAssertEqual(try file.floats(fp8.module + ".weight_scale_inv"), fp8.tensor.scales)
        let bf = try XCTUnwrap(layers.first { $0.format == .bf16 })
        XCTAssertEqual(file.info(bf.module + ".weight")?.dtype, .bf16)
        XCTAssertEqual(try file.floats(bf.module + ".weight"), try bf.format.quantizer.dequantize(bf.tensor).data)
        XCTAssertEqual(file.info("model.embed_tokens.weight")?.dtype, .f32)
    }

    /// Python's `safetensors` opens the file and reads the same values (runs when python3 with
    /// safetensors and numpy is installed; skipped otherwise, saying so).
    func testPythonSafetensorsOpensTheCheckpoint() throws {
        var layers: [QuantizedLayer] = []
        let folder = try export(&layers)
        let script = """
        import json, sys
        from safetensors import safe_open
        out = {}
        with safe_open(sys.argv[1], framework="numpy") as f:
            for k in f.keys():
                s = f.get_slice(k)
                entry = {"dtype": s.get_dtype(), "shape": list(s.get_shape())}
                if s.get_dtype() not in ("BF16", "F8_E4M3"):
                    t = f.get_tensor(k)
                    entry["first"] = t.reshape(-1)[0].item()
                out[k] = entry
        print(json.dumps(out))
        """
        guard let text = try ExportFixtures.python(script, [folder.appendingPathComponent("model.safetensors").path]) else {
            throw XCTSkip("python3 with safetensors and numpy is not installed here; the Python check did not run")
        }
        let seen = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String: Any]])
        let file = try SafetensorsFile(path: folder.appendingPathComponent("model.safetensors").path)
        XCTAssertEqual(Set(seen.keys), Set(file.tensors.map(\.name)))
        for t in file.tensors {
            XCTAssertEqual(seen[t.name]?["dtype"] as? String, t.dtype.rawValue, t.name)
            XCTAssertEqual(seen[t.name]?["shape"] as? [Int], t.shape, t.name)
        }
        let q = "model.layers.0.self_attn.q_proj.qweight"
        let raw = try file.rawBytes(q)
        let word = Int32(bitPattern: le32(raw, 0))
        XCTAssertEqual(seen[q]?["first"] as? Int, Int(word))
        let norm = try XCTUnwrap(seen["model.norm.weight"]?["first"] as? Double)
        XCTAssertEqual(norm, Double(try file.floats("model.norm.weight")[0]), accuracy: 1e-7)
    }
}
