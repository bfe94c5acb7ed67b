/// The ggml tensor types a GGUF file may hold, with their block geometry (llama.cpp's
/// `ggml_type` ids and `type_traits` block sizes). This table is the only place ids are mapped.
public struct GGMLTypeTraits: Sendable, Equatable {
    /// ggml type id as stored in the file.
    public let id: UInt32
    /// The storage type.
    public let storage: StorageType
    /// Elements per block (1 for plain types).
    public let blockSize: Int
    /// Bytes per block.
    public let bytesPerBlock: Int

    /// Bits per weight including scales (bytesPerBlock * 8 / blockSize).
    public var bitsPerWeight: Double { Double(bytesPerBlock * 8) / Double(blockSize) }

    /// Every type this reader knows, keyed by id.
    public static let table: [GGMLTypeTraits] = [
        .init(id: 0, storage: .f32, blockSize: 1, bytesPerBlock: 4),
        .init(id: 1, storage: .f16, blockSize: 1, bytesPerBlock: 2),
        .init(id: 2, storage: .q4_0, blockSize: 32, bytesPerBlock: 18),
        .init(id: 3, storage: .q4_1, blockSize: 32, bytesPerBlock: 20),
        .init(id: 6, storage: .q5_0, blockSize: 32, bytesPerBlock: 22),
        .init(id: 7, storage: .q5_1, blockSize: 32, bytesPerBlock: 24),
        .init(id: 8, storage: .q8_0, blockSize: 32, bytesPerBlock: 34),
        .init(id: 10, storage: .q2_K, blockSize: 256, bytesPerBlock: 84),
        .init(id: 11, storage: .q3_K, blockSize: 256, bytesPerBlock: 110),
        .init(id: 12, storage: .q4_K, blockSize: 256, bytesPerBlock: 144),
        .init(id: 13, storage: .q5_K, blockSize: 256, bytesPerBlock: 176),
        .init(id: 14, storage: .q6_K, blockSize: 256, bytesPerBlock: 210),
        .init(id: 24, storage: .i8, blockSize: 1, bytesPerBlock: 1),
        .init(id: 25, storage: .i16, blockSize: 1, bytesPerBlock: 2),
        .init(id: 26, storage: .i32, blockSize: 1, bytesPerBlock: 4),
        .init(id: 27, storage: .i64, blockSize: 1, bytesPerBlock: 8),
        .init(id: 28, storage: .f64, blockSize: 1, bytesPerBlock: 8),
        .init(id: 30, storage: .bf16, blockSize: 1, bytesPerBlock: 2),
        .init(id: 39, storage: .mxfp4, blockSize: 32, bytesPerBlock: 17),
    ]

    /// Traits for a ggml type id, nil if unknown.
    public static func forID(_ id: UInt32) -> GGMLTypeTraits? { table.first { $0.id == id } }

    /// Traits for a storage type, nil if GGUF has no such type.
    public static func forStorage(_ s: StorageType) -> GGMLTypeTraits? { table.first { $0.storage == s } }
}
