import Foundation
import Model
import Formats

/// A `--tensor-type-file` for llama.cpp's `llama-quantize`: whitespace-separated `PATTERN=TYPE`
/// tokens, one per line. llama-quantize lowercases each pattern and applies it as a regular
/// expression searched in tensor names (`std::regex_search`); the type is a ggml type name
/// (case-insensitive). The file has no comment syntax (every token must hold `=`), so the first
/// line is a note written as a pattern no tensor name can match (it starts with `#`, which GGUF
/// names never contain): it says the mapping is approximate.
///
/// Exact GGUF tensor names are used as patterns; a name's dots match themselves, and no other
/// tensor of a Llama-family model contains another's full name, so each line selects one tensor.
enum PlanExportLlamaCpp {
    /// The nearest ggml type per format: int2 q2_K, int3 q3_K, int4 q4_K, int8 q8_0, mxfp4 and
    /// nvfp4 mxfp4 (both E2M1 in blocks; ggml has no E4M3-scaled FP4), fp8 q8_0, bf16 bf16.
    /// K-quants use 256-weight super-blocks with their own scale encoding, so the result differs
    /// from the plan's groups even at the same code width.
    static func ggmlType(_ format: QuantFormat) -> String {
        switch format.family {
        case .int:
            switch format.bits {
            case 2: return "q2_K"
            case 3: return "q3_K"
            case 4: return "q4_K"
            default: return "q8_0"
            }
        case .mxfp4, .nvfp4: return "mxfp4"
        case .fp8: return "q8_0"
        case .bf16: return "bf16"
        case .ggml: return format.name
        }
    }

    /// The note line: a valid `PATTERN=TYPE` token that matches no tensor.
    static let note = "#approximate:autoscheme-formats-mapped-to-nearest-ggml-types(int2:q2_K,int3:q3_K,int4:q4_K,int8:q8_0,mxfp4:mxfp4,nvfp4:mxfp4,fp8:q8_0,bf16:bf16)=bf16"

    static func tensorTypes(_ layers: [PlanExportLayer], model: ModelDescription) -> String {
        var lines = [note]
        for l in layers {
            let name = model.gguf?.ggufName(l.weightName) ?? GGUFNames.gguf(l.weightName)
            lines.append("\(name)=\(ggmlType(l.format))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
