/// How a tensor is stored in a model file. Raw values follow the file formats' own names.
public enum StorageType: String, Codable, Sendable, CaseIterable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
    case i8 = "I8", u8 = "U8", i16 = "I16", i32 = "I32", i64 = "I64", bool = "BOOL"
    case f8e4m3 = "F8_E4M3"
    // GGUF block formats
    case q4_0 = "Q4_0", q4_1 = "Q4_1", q5_0 = "Q5_0", q5_1 = "Q5_1", q8_0 = "Q8_0"
    case q2_K = "Q2_K", q3_K = "Q3_K", q4_K = "Q4_K", q5_K = "Q5_K", q6_K = "Q6_K"
    case mxfp4 = "MXFP4"
}

/// One named tensor of a model file.
public struct TensorInfo: Sendable, Equatable {
    /// Hugging Face name, e.g. `model.layers.0.self_attn.q_proj.weight`.
    public var name: String
    /// Shape in Hugging Face order (for a linear weight: [out, in]).
    public var shape: [Int]
    /// How the file stores it.
    public var storage: StorageType

    public init(name: String, shape: [Int], storage: StorageType) {
        self.name = name
        self.shape = shape
        self.storage = storage
    }

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// Layout of the query/key rows with respect to rotary position embedding.
public enum RopeLayout: String, Codable, Sendable {
    /// Hugging Face: RoPE rotates (x[i], x[i + d/2]) ("rotate half").
    case rotateHalf
    /// GGUF's llama layout: Q/K rows permuted so that RoPE rotates adjacent pairs (x[2i], x[2i+1]).
    case adjacentPairs
}

/// Read access to the tensors of a model file, by Hugging Face name, decoded lazily to Float32.
public protocol TensorSource: Sendable {
    /// Every tensor, in file order.
    var tensorInfos: [TensorInfo] { get }
    /// Decodes one tensor to Float32 (row-major, Hugging Face shape). Throws if the name is unknown.
    func floats(_ name: String) throws -> [Float]
}
