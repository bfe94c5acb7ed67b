/// One GGUF metadata value. Type ids follow the GGUF spec (`gguf_type`): 0 uint8, 1 int8, 2 uint16,
/// 3 int16, 4 uint32, 5 int32, 6 float32, 7 bool, 8 string, 9 array, 10 uint64, 11 int64, 12 float64.
/// Arrays carry one element type and may nest.
public indirect enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32), float32(Float), bool(Bool)
    case string(String)
    case array([GGUFValue])
    case uint64(UInt64), int64(Int64), float64(Double)

    /// The value as an integer, if it is one of the integer types and fits in `Int`.
    public var intValue: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(exactly: v)
        default: return nil
        }
    }

    /// The value as a Double, for any numeric type.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return intValue.map(Double.init)
        }
    }

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The Bool, if this is a bool.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [GGUFValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The elements as strings, if this is an array of strings (e.g. `tokenizer.ggml.tokens`).
    public var stringArray: [String]? {
        guard let a = arrayValue else { return nil }
        var out = [String]()
        out.reserveCapacity(a.count)
        for v in a {
            guard let s = v.stringValue else { return nil }
            out.append(s)
        }
        return out
    }
}

extension ByteCursor {
    /// Size in bytes of a fixed-size GGUF value type, nil for string/array/unknown.
    static func fixedSize(_ typeID: UInt32) -> Int? {
        switch typeID {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 10, 11, 12: return 8
        default: return nil
        }
    }

    /// Reads one value of GGUF type `typeID` (arrays recursively, up to a nesting depth of 8).
    mutating func readValue(typeID: UInt32, key: String, depth: Int = 0) throws -> GGUFValue {
        switch typeID {
        case 0: return .uint8(try read(UInt8.self, key))
        case 1: return .int8(try read(Int8.self, key))
        case 2: return .uint16(try read(UInt16.self, key))
        case 3: return .int16(try read(Int16.self, key))
        case 4: return .uint32(try read(UInt32.self, key))
        case 5: return .int32(try read(Int32.self, key))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, key)))
        case 7: return .bool(try read(UInt8.self, key) != 0)
        case 8: return .string(try readString(key))
        case 9: return try readArray(key: key, depth: depth)
        case 10: return .uint64(try read(UInt64.self, key))
        case 11: return .int64(try read(Int64.self, key))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, key)))
        default: throw ModelFileError.unknownValueType(path: file.path, key: key, typeID: typeID)
        }
    }

    private mutating func readArray(key: String, depth: Int) throws -> GGUFValue {
        guard depth < 8 else {
            throw ModelFileError.badHeader(path: file.path, reason: "metadata '\(key)' nests arrays deeper than 8")
        }
        let elementType = try read(UInt32.self, key)
        let count = try read(UInt64.self, key)
        // Every element takes at least one byte (strings at least 8), so a count past the file is corrupt.
        let minSize = UInt64(Self.fixedSize(elementType) ?? 8)
        guard count <= UInt64(file.count - offset) / minSize else {
            throw ModelFileError.truncated(path: file.path, what: "array '\(key)' of \(count) elements",
                                           needed: Int(clamping: count.multipliedReportingOverflow(by: minSize).partialValue),
                                           available: file.count - offset)
        }
        var items = [GGUFValue]()
        items.reserveCapacity(Int(count))
        for _ in 0..<Int(count) {
            items.append(try readValue(typeID: elementType, key: key, depth: depth + 1))
        }
        return .array(items)
    }
}
