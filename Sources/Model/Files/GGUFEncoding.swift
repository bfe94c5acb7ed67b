/// Little-endian encoding of GGUF's header pieces (the GGUF spec; gguf-py's `_pack_val`; ggml's
/// `gguf_writer_base`): strings are a uint64 byte count and UTF-8 bytes, a bool one byte 0 or 1,
/// an array its element type id, a uint64 count and the elements without type ids.
struct GGUFEncoder {
    private(set) var bytes: [UInt8] = []

    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    mutating func string(_ s: String) {
        u64(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    /// Zero bytes up to the next multiple of `alignment`.
    mutating func pad(to alignment: Int) {
        let padded = (bytes.count + alignment - 1) / alignment * alignment
        bytes.append(contentsOf: repeatElement(0, count: padded - bytes.count))
    }

    /// One key/value pair: key, type id, value.
    mutating func entry(_ key: String, _ value: GGUFValue) {
        string(key)
        u32(value.typeID)
        self.value(value)
    }

    /// A value without its type id. - Precondition: arrays were checked by `checkWritable`.
    mutating func value(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): bytes.append(v)
        case .int8(let v): bytes.append(UInt8(bitPattern: v))
        case .uint16(let v): withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        case .int16(let v): withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        case .uint32(let v): u32(v)
        case .int32(let v): u32(UInt32(bitPattern: v))
        case .float32(let v): u32(v.bitPattern)
        case .bool(let v): bytes.append(v ? 1 : 0)
        case .string(let s): string(s)
        case .array(let items):
            u32(items.first?.typeID ?? GGUFValue.uint8(0).typeID)
            u64(UInt64(items.count))
            for item in items { self.value(item) }
        case .uint64(let v): u64(v)
        case .int64(let v): u64(UInt64(bitPattern: v))
        case .float64(let v): u64(v.bitPattern)
        }
    }
}

extension GGUFValue {
    /// The GGUF type id (`gguf_type`): 0 uint8 ... 12 float64, 9 for an array.
    public var typeID: UInt32 {
        switch self {
        case .uint8: return 0
        case .int8: return 1
        case .uint16: return 2
        case .int16: return 3
        case .uint32: return 4
        case .int32: return 5
        case .float32: return 6
        case .bool: return 7
        case .string: return 8
        case .array: return 9
        case .uint64: return 10
        case .int64: return 11
        case .float64: return 12
        }
    }

    /// Why llama.cpp's reader would refuse this value, or nil: an array must have at least one
    /// element (gguf-py's writer refuses empty ones, as the element type is unknown), elements of one
    /// type, and no arrays inside (ggml's `gguf_init_from_file` rejects nested arrays).
    var unwritableReason: String? {
        guard case .array(let items) = self else { return nil }
        guard let first = items.first else { return "is an empty array; GGUF arrays need at least one element" }
        let type = first.typeID
        if type == 9 { return "is an array of arrays, which llama.cpp's reader refuses" }
        if let i = items.firstIndex(where: { $0.typeID != type }) {
            return "mixes element types in one array (element 0 has type \(type), element \(i) type \(items[i].typeID))"
        }
        return nil
    }
}
