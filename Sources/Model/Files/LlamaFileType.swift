/// llama.cpp's file types (`enum llama_ftype` in `include/llama.h`, llama.cpp 0c1e570), stored as
/// `general.file_type` (uint32). A file type names a whole file's mix ("mostly Q4_K, medium"); the
/// tensors keep their own types, and llama.cpp uses it only to describe the file. Ids 4-6 and 33-35
/// were removed from llama.cpp and are absent here, as is `LLAMA_FTYPE_GUESSED` (1024), which is
/// never stored.
public enum LlamaFileType: UInt32, CaseIterable, Sendable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q8_0 = 7, q5_0 = 8, q5_1 = 9
    case q2_K = 10, q3_K_S = 11, q3_K_M = 12, q3_K_L = 13, q4_K_S = 14, q4_K_M = 15
    case q5_K_S = 16, q5_K_M = 17, q6_K = 18
    case iq2_XXS = 19, iq2_XS = 20, q2_K_S = 21, iq3_XS = 22, iq3_XXS = 23, iq1_S = 24, iq4_NL = 25
    case iq3_S = 26, iq3_M = 27, iq2_S = 28, iq2_M = 29, iq4_XS = 30, iq1_M = 31, bf16 = 32
    case tq1_0 = 36, tq2_0 = 37, mxfp4_MoE = 38, nvfp4 = 39, q1_0 = 40, q2_0 = 41

    /// llama.cpp's name without the `LLAMA_FTYPE_MOSTLY_` / `LLAMA_FTYPE_ALL_` prefix, e.g. `Q4_K_M`,
    /// as `llama-quantize` takes it on its command line.
    public var name: String {
        switch self {
        case .mxfp4_MoE: return "MXFP4_MOE"
        default: return String(describing: self).uppercased()
        }
    }

    /// The file type named `name` (case-insensitive, e.g. `q4_k_m`), or nil.
    public init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = found
    }
}
