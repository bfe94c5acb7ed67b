import Foundation
import IO

/// Where everything lands in a GGUF file `GGUFWriter` writes.
public struct GGUFLayout: Sendable, Equatable {
    /// The header: magic, version, counts, key/value pairs, tensor infos, padding to the alignment.
    public let header: [UInt8]
    /// Data alignment in bytes (`general.alignment`, default 32).
    public let alignment: Int
    /// Each tensor's offset relative to the data section (which starts at `header.count`), in order.
    public let tensorOffsets: [Int]
    /// Total file size: the data section ends padded to the alignment, as ggml and gguf-py write it.
    public let fileSize: Int
}

/// Writes GGUF version 3 files (the GGUF spec, as ggml's `gguf_write_to_file` and gguf-py's
/// `GGUFWriter` lay them out): "GGUF", uint32 version 3, uint64 tensor count, uint64 key/value count,
/// the key/value pairs in the caller's order, the tensor infos (name, uint32 dimension count,
/// uint64 dimensions innermost first, uint32 ggml type, uint64 offset in the data section), zero
/// padding to `general.alignment`, then each tensor's bytes at its offset, each followed by zero
/// padding to the alignment. Offsets are consecutive (each the previous offset plus its padded
/// size), which llama.cpp's reader requires.
///
/// Everything is checked before anything touches the disk; the file is then streamed into a hidden
/// sibling (`.NAME.tmp-PID`) and renamed into place, so the output path never holds a partial file.
public enum GGUFWriter {
    /// The version written.
    public static let version: UInt32 = 3
    /// "GGUF" read as a little-endian uint32.
    public static let magic: UInt32 = 0x4655_4747

    /// Writes `tensors` (in order) with `metadata` to `path`.
    /// - Returns: the layout written.
    /// - Throws: `GGUFWriteError` naming `path` and the tensor or key at fault; nothing is written
    ///   then, and an existing file at `path` is left as it was.
    /// - Complexity: the header is built in memory; tensor bytes are copied straight to the file.
    @discardableResult
    public static func write(metadata: GGUFMetadata, tensors: [GGUFOutputTensor], to path: String) throws -> GGUFLayout {
        let layout = try self.layout(metadata: metadata, tensors: tensors, path: path)
        do {
            try AtomicFile.stream(to: URL(fileURLWithPath: path)) { out in
                try out.write(layout.header)
                for (tensor, offset) in zip(tensors, layout.tensorOffsets) {
                    precondition(out.bytesWritten == layout.header.count + offset, "GGUF data offset drifted")
                    switch tensor.bytes {
                    case .array(let a): try out.write(a)
                    case .mapped(let file, let range): try out.write(file.bytes(range))
                    }
                    try out.writeZeros(padding(tensor.bytes.count, layout.alignment))
                }
                precondition(out.bytesWritten == layout.fileSize, "GGUF file size differs from its layout")
            }
        } catch let error as GGUFWriteError {
            throw error
        } catch {
            throw GGUFWriteError.writeFailed(path: path, reason: error.localizedDescription)
        }
        return layout
    }

    /// Checks every tensor and key/value pair and lays the file out, without writing anything.
    /// - Parameter path: the output path, named in errors.
    /// - Throws: `GGUFWriteError`.
    public static func layout(metadata: GGUFMetadata, tensors: [GGUFOutputTensor], path: String) throws -> GGUFLayout {
        let alignment = try checkedAlignment(metadata, path: path)
        var names = Set<String>(), offsets = [Int](), offset = 0
        for tensor in tensors {
            let size = try tensor.checkedByteCount(path: path)
            guard names.insert(tensor.name).inserted else {
                throw GGUFWriteError.duplicateTensor(path: path, tensor: tensor.name)
            }
            offsets.append(offset)
            offset += size + padding(size, alignment)
        }
        var enc = GGUFEncoder()
        enc.u32(magic)
        enc.u32(version)
        enc.u64(UInt64(tensors.count))
        enc.u64(UInt64(metadata.count))
        for entry in metadata.entries {
            try check(entry, path: path)
            enc.entry(entry.key, entry.value)
        }
        for (tensor, tensorOffset) in zip(tensors, offsets) {
            enc.string(tensor.name)
            enc.u32(UInt32(tensor.dims.count))
            for d in tensor.dims { enc.u64(UInt64(d)) }
            enc.u32(tensor.type.id)
            enc.u64(UInt64(tensorOffset))
        }
        enc.pad(to: alignment)
        return GGUFLayout(header: enc.bytes, alignment: alignment, tensorOffsets: offsets, fileSize: enc.bytes.count + offset)
    }

    /// Zero bytes after `size` bytes up to the next multiple of `alignment`.
    static func padding(_ size: Int, _ alignment: Int) -> Int { (alignment - size % alignment) % alignment }

    /// `general.alignment` must be a uint32 power of two (ggml and gguf-py refuse other types).
    private static func checkedAlignment(_ metadata: GGUFMetadata, path: String) throws -> Int {
        guard let value = metadata[GGUFKeys.alignment] else { return GGUFKeys.defaultAlignment }
        guard case .uint32(let a) = value, a > 0, a & (a - 1) == 0 else {
            throw GGUFWriteError.badValue(path: path, key: GGUFKeys.alignment,
                                          reason: "is \(value), expected a uint32 power of two")
        }
        return Int(a)
    }

    private static func check(_ entry: GGUFMetadata.Entry, path: String) throws {
        if entry.key.isEmpty { throw GGUFWriteError.badKey(path: path, key: entry.key, reason: "is empty") }
        if entry.key.utf8.count > Int(UInt16.max) {
            throw GGUFWriteError.badKey(path: path, key: entry.key,
                                        reason: "has \(entry.key.utf8.count) bytes, expected at most \(UInt16.max)")
        }
        if let reason = entry.value.unwritableReason {
            throw GGUFWriteError.badValue(path: path, key: entry.key, reason: reason)
        }
    }
}
