import Foundation
import TensorCore

/// One tensor entry of a safetensors header.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    /// Tensor name as stored (Hugging Face name).
    public let name: String
    /// Element type (`StorageType` raw values are the safetensors dtype strings).
    public let dtype: StorageType
    /// Shape, row-major.
    public let shape: [Int]
    /// Absolute byte range in the file.
    public let byteRange: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A memory-mapped safetensors file: u64 little-endian header length N, N bytes of JSON header
/// (`{"__metadata__": {string: string}, name: {"dtype", "shape", "data_offsets": [begin, end]}}`,
/// offsets relative to the data section after the header), then the data. Nothing is decoded on open.
public struct SafetensorsFile: Sendable {
    /// The mapped file.
    public let file: MappedFile
    /// `__metadata__` (string to string), empty when absent.
    public let metadata: [String: String]
    /// Tensors ordered by data offset.
    public let tensors: [SafetensorsTensorInfo]
    private let index: [String: Int]

    public var path: String { file.path }

    /// Element size in bytes of each safetensors dtype this reader knows.
    public static func elementSize(_ dtype: StorageType) -> Int? {
        switch dtype {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool, .f8e4m3: return 1
        default: return nil
        }
    }

    /// Opens and validates `path`: header length within the file, JSON, dtypes, sizes = shape x dtype
    /// size, offsets inside the data section, no overlaps.
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Validates an already mapped (or in-memory) file as `init(path:)` does.
    public init(file: MappedFile) throws {
        let path = file.path
        self.file = file
        var cur = ByteCursor(file)
        let headerLength = try cur.read(UInt64.self, "header length")
        guard headerLength <= UInt64(file.count - 8) else {
            throw ModelFileError.truncated(path: path, what: "header", needed: Int(clamping: headerLength),
                                           available: file.count - 8)
        }
        let dataStart = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(file.bytes(8..<dataStart)))
        } catch {
            throw ModelFileError.badHeader(path: path, reason: "JSON does not parse (\(error.localizedDescription))")
        }
        guard let object = json as? [String: Any] else {
            throw ModelFileError.badHeader(path: path, reason: "JSON header is not an object")
        }
        var meta = [String: String]()
        if let m = object["__metadata__"] {
            guard let m = m as? [String: String] else {
                throw ModelFileError.badHeader(path: path, reason: "__metadata__ must map strings to strings")
            }
            meta = m
        }
        metadata = meta
        var infos = [SafetensorsTensorInfo]()
        for (name, value) in object where name != "__metadata__" {
            infos.append(try Self.parseEntry(name, value, path: path, dataStart: dataStart, fileSize: file.count))
        }
        infos.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) }
        for (a, b) in zip(infos, infos.dropFirst()) where a.byteRange.upperBound > b.byteRange.lowerBound {
            throw ModelFileError.overlappingTensors(path: path, first: a.name, second: b.name)
        }
        tensors = infos
        index = Dictionary(uniqueKeysWithValues: infos.enumerated().map { ($1.name, $0) })
    }

    private static func parseEntry(_ name: String, _ value: Any, path: String, dataStart: Int,
                                   fileSize: Int) throws -> SafetensorsTensorInfo {
        guard let entry = value as? [String: Any], let dtypeName = entry["dtype"] as? String,
              let shapeAny = entry["shape"] as? [Any], let offsetsAny = entry["data_offsets"] as? [Any] else {
            throw ModelFileError.badHeader(path: path, reason: "tensor '\(name)' needs dtype, shape and data_offsets")
        }
        guard let dtype = StorageType(rawValue: dtypeName), let size = elementSize(dtype) else {
            throw ModelFileError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }
        let shape = shapeAny.compactMap { ($0 as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }
        guard shape.count == shapeAny.count, shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 40 }) else {
            throw ModelFileError.badShape(path: path, tensor: name, shape: shape, reason: "dimensions must be integers in 0...2^40")
        }
        let offsets = offsetsAny.compactMap { ($0 as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }
        guard offsets.count == 2, offsetsAny.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw ModelFileError.badHeader(path: path, reason: "tensor '\(name)' data_offsets must be [begin, end] with 0 <= begin <= end")
        }
        let dataSize = fileSize - dataStart
        guard offsets[1] <= dataSize else {
            throw ModelFileError.tensorOutOfRange(path: path, tensor: name, range: offsets[0]..<offsets[1], dataSize: dataSize)
        }
        guard let expected = checkedProduct(shape, initial: size) else {
            throw ModelFileError.badShape(path: path, tensor: name, shape: shape, reason: "element count overflows")
        }
        guard expected == offsets[1] - offsets[0] else {
            throw ModelFileError.sizeMismatch(path: path, tensor: name, expected: expected, actual: offsets[1] - offsets[0])
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape,
                                     byteRange: (dataStart + offsets[0])..<(dataStart + offsets[1]))
    }

    /// The entry for `name`, or nil.
    public func info(_ name: String) -> SafetensorsTensorInfo? { index[name].map { tensors[$0] } }

    /// The stored bytes of `name` (any dtype), valid while this file is alive.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let t = info(name) else { throw ModelFileError.tensorNotFound(path: path, tensor: name) }
        return file.bytes(t.byteRange)
    }

    /// Decodes `name` to Float32: F32 copied, F16/BF16 exact, F8_E4M3 exact (see `Float8E4M3`).
    public func floats(_ name: String) throws -> [Float] {
        guard let t = info(name) else { throw ModelFileError.tensorNotFound(path: path, tensor: name) }
        let src = file.bytes(t.byteRange), n = t.elementCount
        return try [Float](unsafeUninitializedCapacity: n) { dst, initialized in
            switch t.dtype {
            case .f32:
                for i in 0..<n { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .f16: HalfPrecision.decodeF16(src, into: dst)
            case .bf16: HalfPrecision.decodeBF16(src, into: dst)
            case .f8e4m3: for i in 0..<n { dst[i] = Float8E4M3.decode(src[i]) }
            default: throw ModelFileError.notDecodable(path: path, tensor: name, storage: t.dtype.rawValue)
            }
            initialized = n
        }
    }
}

/// The product of `dims` times `initial`, or nil on overflow.
func checkedProduct(_ dims: [Int], initial: Int = 1) -> Int? {
    var p = initial
    for d in dims {
        let (r, overflow) = p.multipliedReportingOverflow(by: d)
        if overflow { return nil }
        p = r
    }
    return p
}

/// OCP FP8 E4M3 ("e4m3fn"): 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities,
/// S.1111.111 is NaN; largest finite 448; subnormals m/8 * 2^-6.
public enum Float8E4M3 {
    /// Decodes one byte exactly.
    @inlinable public static func decode(_ byte: UInt8) -> Float {
        let sign: Float = byte & 0x80 != 0 ? -1 : 1
        let e = Int((byte >> 3) & 0xF), m = Int(byte & 7)
        if e == 15 && m == 7 { return .nan }
        if e == 0 { return sign * Float(m) * 0x1p-9 }
        return sign * Float(8 + m) * Float(sign: .plus, exponent: e - 10, significand: 1)
    }
}
