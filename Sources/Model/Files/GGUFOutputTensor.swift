/// One tensor for `GGUFWriter`: its name, shape, ggml type and bytes, already in ggml's layout
/// (rows of whole blocks, rows in order). The writer checks the byte count and copies the bytes as
/// they are; it never converts or quantizes.
public struct GGUFOutputTensor: Sendable {
    /// Where the bytes come from.
    public enum Bytes: Sendable {
        /// Bytes held in memory.
        case array([UInt8])
        /// A range of a mapped file, e.g. a tensor of a source GGUF copied as it is stored
        /// (`GGUFFile.file` and the tensor's absolute range); read only while writing.
        case mapped(MappedFile, Range<Int>)

        /// Number of bytes.
        public var count: Int {
            switch self {
            case .array(let a): return a.count
            case .mapped(_, let range): return range.count
            }
        }
    }

    /// The GGUF name, e.g. `blk.0.attn_q.weight` (at most 63 UTF-8 bytes, ggml's `GGML_MAX_NAME` - 1).
    public var name: String
    /// The shape outermost first, as Hugging Face writes it: a linear weight of `rows x cols` is
    /// `[rows, cols]`. The file stores it reversed (ggml's `ne`, innermost first: `[cols, rows]`).
    public var shape: [Int]
    /// The storage type and its block geometry.
    public var type: GGMLTypeTraits
    /// The stored bytes.
    public var bytes: Bytes

    public init(name: String, shape: [Int], type: GGMLTypeTraits, bytes: Bytes) {
        self.name = name
        self.shape = shape
        self.type = type
        self.bytes = bytes
    }

    /// A tensor whose bytes are in memory.
    public init(name: String, shape: [Int], type: GGMLTypeTraits, bytes: [UInt8]) {
        self.init(name: name, shape: shape, type: type, bytes: .array(bytes))
    }

    /// A tensor of `file` copied as stored (same name, shape, type and bytes).
    public init(copying info: GGUFTensorInfo, of file: GGUFFile) {
        let start = file.dataOffset + info.offset
        self.init(name: info.name, shape: info.shape, type: info.type,
                  bytes: .mapped(file.file, start..<(start + info.byteCount)))
    }

    /// ggml's `ne`: the shape innermost first, as the tensor info stores it.
    public var dims: [Int] { shape.reversed() }

    /// The longest name ggml reads (`GGML_MAX_NAME` is 64 bytes with the terminating zero).
    public static let maxNameBytes = 63

    /// The byte count the shape and type take, after checking the name, the shape (1 to 4
    /// dimensions, each at least 1, at most 2^40 elements) and that a row is whole blocks.
    /// - Throws: `GGUFWriteError` naming `path` and this tensor.
    func checkedByteCount(path: String) throws -> Int {
        guard !name.isEmpty else { throw GGUFWriteError.badTensorName(path: path, tensor: name, reason: "is empty") }
        guard name.utf8.count <= Self.maxNameBytes else {
            throw GGUFWriteError.badTensorName(path: path, tensor: name,
                                               reason: "has \(name.utf8.count) bytes, expected at most \(Self.maxNameBytes)")
        }
        func bad(_ reason: String) -> GGUFWriteError { .badShape(path: path, tensor: name, shape: shape, reason: reason) }
        guard (1...4).contains(shape.count) else { throw bad("\(shape.count) dimensions, expected 1 to 4") }
        guard shape.allSatisfy({ $0 >= 1 }) else { throw bad("every dimension must be at least 1") }
        guard let elements = checkedProduct(shape), elements <= 1 << 40 else { throw bad("more than 2^40 elements") }
        let row = shape[shape.count - 1]
        guard row % type.blockSize == 0 else {
            throw GGUFWriteError.rowNotWholeBlocks(path: path, tensor: name, rowLength: row,
                                                   type: type.storage.rawValue, blockSize: type.blockSize)
        }
        let expected = elements / type.blockSize * type.bytesPerBlock
        guard bytes.count == expected else {
            throw GGUFWriteError.sizeMismatch(path: path, tensor: name, type: type.storage.rawValue, shape: shape,
                                              expected: expected, actual: bytes.count)
        }
        return expected
    }
}
