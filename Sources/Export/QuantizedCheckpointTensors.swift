import Foundation
import Model
import Formats

/// The safetensors tensors of one quantized linear layer, named and laid out as auto-round's
/// exports write them (module prefix `model.layers.N.self_attn.q_proj`):
///
/// - int (`auto_round:auto_gptq` packing, see `GPTQPackedTensor`): `qweight` I32
///   `[paddedIn * bits / 32, out]`, `qzeros` I32 `[groups, ceil(out * bits / 32)]`, `scales` F16 `[groups, out]`.
/// - MXFP4: `weight_packed` U8 `[out, paddedIn / 2]` (element 2j low nibble), `weight_scale` U8 E8M0
///   `[out, in / 32]`.
/// - NVFP4: `weight_packed` as MXFP4, `weight_scale` F8_E4M3 `[out, in / 16]`, `weight_global_scale`
///   F32 `[1]`; w = E2M1 * weight_scale / weight_global_scale.
/// - FP8 block: `weight` F8_E4M3 `[out, in]`, `weight_scale_inv` F32 `[ceil(out/128), ceil(in/128)]`.
/// - bf16: `weight` BF16 `[out, in]`.
enum QuantizedCheckpointTensors {
    static func le<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(values.count * MemoryLayout<T>.size)
        for v in values { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// The tensors for `q` under `module` (Hugging Face module name).
    static func tensors(_ q: QuantizedTensor, module: String) throws -> [SafetensorsTensor] {
        switch q.format.family {
        case .int:
            let p = try GPTQPacking.pack(q)
            return [
                SafetensorsTensor(name: module + ".qweight", dtype: .i32, shape: [p.qweight.count / max(1, p.outFeatures), p.outFeatures], bytes: le(p.qweight)),
                SafetensorsTensor(name: module + ".qzeros", dtype: .i32, shape: [p.groups, p.qzerosCols], bytes: le(p.qzeros)),
                SafetensorsTensor(name: module + ".scales", dtype: .f16, shape: [p.groups, p.outFeatures], bytes: le(p.scales)),
            ]
        case .mxfp4, .nvfp4:
            let p = try FPPacking.packFP4(q)
            var out = [
                SafetensorsTensor(name: module + ".weight_packed", dtype: .u8, shape: [p.rows, p.weightPacked.count / max(1, p.rows)], bytes: p.weightPacked),
                SafetensorsTensor(name: module + ".weight_scale", dtype: q.format.family == .mxfp4 ? .u8 : .f8e4m3,
                                  shape: [p.rows, p.weightScale.count / max(1, p.rows)], bytes: p.weightScale),
            ]
            if let g = p.globalScale {
                out.append(SafetensorsTensor(name: module + ".weight_global_scale", shape: [1], floats: [g], as: .f32))
            }
            return out
        case .fp8:
            let p = try FPPacking.packFP8(q)
            return [
                SafetensorsTensor(name: module + ".weight", dtype: .f8e4m3, shape: [p.rows, p.cols], bytes: p.weight),
                SafetensorsTensor(name: module + ".weight_scale_inv", shape: [q.scaleRows, q.scaleCols], floats: p.weightScaleInv, as: .f32),
            ]
        case .bf16:
            guard case let .halfWords(h) = q.codes, h.count == q.rows * q.cols else {
                throw QuantError.invalidPackedData(tensor: q.name, reason: "expected \(q.rows * q.cols) bfloat16 codes")
            }
            return [SafetensorsTensor(name: module + ".weight", dtype: .bf16, shape: [q.rows, q.cols], bytes: le(h))]
        case .ggml:
            throw QuantError.formatMismatch(tensor: q.name, expected: "a format an auto_round checkpoint stores (int, mxfp4, nvfp4, fp8, bf16)",
                                            actual: q.format.name + " (a ggml block type: write a GGUF instead)")
        }
    }
}
