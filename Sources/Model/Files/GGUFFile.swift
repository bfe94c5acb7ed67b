/// One tensor as a GGUF file describes it.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The GGUF name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// ggml dimensions, fastest-varying first (ne[0] = input features of a linear weight).
    public let dims: [Int]
    /// Storage type and block geometry.
    public let type: GGMLTypeTraits
    /// Byte offset relative to the start of the data section.
    public let offset: Int
    /// Byte size of the stored data.
    public let byteCount: Int

    /// Shape in Hugging Face order (dims reversed: [out, in] for a linear weight).
    public var shape: [Int] { dims.reversed() }
    /// Number of elements.
    public var elementCount: Int { dims.reduce(1, *) }
}

/// A parsed, memory-mapped GGUF file (version 2 or 3). Parsing reads the header, metadata and tensor
/// table; tensor data stays on disk until decoded.
///
/// Layout: "GGUF" magic, uint32 version, uint64 tensor count, uint64 metadata count, the metadata
/// key/values, the tensor infos (name, uint32 n_dims, uint64 ne[n_dims], uint32 type, uint64 offset),
/// padding to `general.alignment` (default 32), then the data section.
public struct GGUFFile: Sendable {
    /// The mapped file.
    public let file: MappedFile
    /// GGUF version (2 or 3).
    public let version: UInt32
    /// Metadata in file order.
    public let metadataKeys: [String]
    /// Metadata by key.
    public let metadata: [String: GGUFValue]
    /// Tensors in file order.
    public let tensors: [GGUFTensorInfo]
    /// Data alignment in bytes.
    public let alignment: Int
    /// Absolute byte offset of the data section.
    public let dataOffset: Int

    /// The file's path.
    public var path: String { file.path }

    /// Opens and validates `path`.
    /// - Complexity: O(header size); tensor data is not touched.
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Parses an already mapped file.
    public init(file: MappedFile) throws {
        self.file = file
        var cur = ByteCursor(file)
        let magic = try cur.read(UInt32.self, "GGUF magic")
        guard magic == 0x4655_4747 else { throw ModelFileError.badMagic(path: file.path, found: magic) }
        version = try cur.read(UInt32.self, "GGUF version")
        guard version == 2 || version == 3 else {
            throw ModelFileError.unsupportedVersion(path: file.path, found: version)
        }
        let tensorCount = try cur.read(UInt64.self, "tensor count")
        let kvCount = try cur.read(UInt64.self, "metadata count")
        // Each key/value takes at least 12 bytes and each tensor info at least 24.
        guard kvCount <= UInt64(file.count / 12), tensorCount <= UInt64(file.count / 24) else {
            throw ModelFileError.truncated(path: file.path, what: "\(kvCount) metadata entries and \(tensorCount) tensors",
                                           needed: Int(clamping: kvCount &* 12 &+ tensorCount &* 24),
                                           available: file.count)
        }
        var keys = [String](), meta = [String: GGUFValue]()
        for i in 0..<Int(kvCount) {
            let key = try cur.readString("metadata key #\(i)")
            let typeID = try cur.read(UInt32.self, "type of '\(key)'")
            meta[key] = try cur.readValue(typeID: typeID, key: key)
            keys.append(key)
        }
        metadataKeys = keys
        metadata = meta
        var align = 32
        if let a = meta["general.alignment"] {
            guard let v = a.intValue, v > 0, v & (v - 1) == 0 else {
                throw ModelFileError.badHeader(path: file.path, reason: "general.alignment must be a power of two, got \(a)")
            }
            align = v
        }
        alignment = align
        var infos = [GGUFTensorInfo]()
        for i in 0..<Int(tensorCount) { infos.append(try Self.readTensorInfo(&cur, index: i)) }
        dataOffset = (cur.offset + align - 1) / align * align
        tensors = infos
        try validateData()
    }

    private static func readTensorInfo(_ cur: inout ByteCursor, index: Int) throws -> GGUFTensorInfo {
        let path = cur.file.path
        let name = try cur.readString("name of tensor #\(index)")
        let nDims = try cur.read(UInt32.self, "dimensions of '\(name)'")
        guard nDims >= 1, nDims <= 4 else {
            throw ModelFileError.badShape(path: path, tensor: name, shape: [], reason: "\(nDims) dimensions, expected 1...4")
        }
        var dims = [Int]()
        for _ in 0..<Int(nDims) {
            let d = try cur.read(UInt64.self, "dimensions of '\(name)'")
            guard d <= UInt64(1) << 40 else {
                throw ModelFileError.badShape(path: path, tensor: name, shape: dims + [Int(clamping: d)],
                                              reason: "dimension too large")
            }
            dims.append(Int(d))
        }
        let typeID = try cur.read(UInt32.self, "type of '\(name)'")
        guard let type = GGMLTypeTraits.forID(typeID) else {
            throw ModelFileError.unknownTensorType(path: path, tensor: name, typeID: typeID)
        }
        let offset = try cur.read(UInt64.self, "offset of '\(name)'")
        guard let elements = checkedProduct(dims), elements <= 1 << 40 else {
            throw ModelFileError.badShape(path: path, tensor: name, shape: dims.reversed(), reason: "more than 2^40 elements")
        }
        guard dims[0] % type.blockSize == 0 else {
            throw ModelFileError.badShape(path: path, tensor: name, shape: dims.reversed(),
                                          reason: "row length \(dims[0]) is not a multiple of the \(type.storage.rawValue) block size \(type.blockSize)")
        }
        return GGUFTensorInfo(name: name, dims: dims, type: type, offset: Int(clamping: offset),
                              byteCount: elements / type.blockSize * type.bytesPerBlock)
    }

    /// Checks that every tensor lies inside the data section and none overlap.
    private func validateData() throws {
        let dataSize = max(0, file.count - dataOffset)
        if !tensors.isEmpty && dataOffset > file.count {
            throw ModelFileError.truncated(path: path, what: "data section", needed: dataOffset, available: file.count)
        }
        for t in tensors {
            let (end, overflow) = t.offset.addingReportingOverflow(t.byteCount)
            guard !overflow, end <= dataSize else {
                throw ModelFileError.tensorOutOfRange(path: path, tensor: t.name,
                                                      range: t.offset..<(overflow ? Int.max : end), dataSize: dataSize)
            }
        }
        let sorted = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw ModelFileError.overlappingTensors(path: path, first: a.name, second: b.name)
        }
    }

    /// The stored bytes of tensor `info` (valid while the file is mapped).
    public func data(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        file.bytes((dataOffset + info.offset)..<(dataOffset + info.offset + info.byteCount))
    }

    /// The value of a metadata key, or nil.
    public subscript(key: String) -> GGUFValue? { metadata[key] }

    /// `general.architecture`, or nil.
    public var architecture: String? { metadata["general.architecture"]?.stringValue }
}
