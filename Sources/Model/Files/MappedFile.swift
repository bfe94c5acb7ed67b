import Foundation
import IO
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Nothing is read until a page is touched. Bytes held in
/// memory (`init(copying:path:)`) are read through the same type, so every parser built on it
/// (GGUF, safetensors) runs unchanged on a file's contents without the file.
///
/// The mapping lives as long as this object; slices handed out by `bytes(_:)` must not outlive it.
/// Immutable after `init`, so sharing across threads is safe.
public final class MappedFile: @unchecked Sendable {
    /// The file's path (for error messages).
    public let path: String
    /// Size of the file in bytes.
    public let count: Int
    private let base: UnsafeRawPointer?
    /// True when `base` is this object's own allocation (a copy), false when it is a mapping.
    private let ownsCopy: Bool

    /// Maps `path` read-only. Throws `ModelFileError.cannotOpen` if it cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        ownsCopy = false
        // A FIFO would block open(2) until a writer appears: refuse anything but a regular file
        // first, and open without blocking in case the path changed in between.
        if let kind = InputFile.nonRegularKind(path) {
            throw ModelFileError.cannotOpen(path: path, reason: "it is \(kind), not a regular file")
        }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw ModelFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw ModelFileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw ModelFileError.cannotOpen(path: path, reason: "not a regular file")
        }
        count = Int(st.st_size)
        if count == 0 { base = nil; return }
        let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else {
            throw ModelFileError.cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    /// A copy of `bytes` held in memory, read as the contents of a file named `path` (which is only
    /// used in error messages and need not exist): for parsing bytes that never were a file, e.g. a
    /// fuzzer's inputs.
    public init(copying bytes: UnsafeRawBufferPointer, path: String) {
        self.path = path
        ownsCopy = true
        count = bytes.count
        guard let source = bytes.baseAddress, count > 0 else { base = nil; return }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
        copy.copyMemory(from: source, byteCount: count)
        base = UnsafeRawPointer(copy)
    }

    deinit {
        guard let base else { return }
        if ownsCopy { base.deallocate() } else { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The whole file as raw bytes (valid while `self` is alive).
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Bytes `range` of the file. - Precondition: the range lies within the file (validated by callers).
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range outside mapped file")
        return UnsafeRawBufferPointer(rebasing: buffer[range])
    }
}

/// A bounds-checked little-endian cursor over a mapped file, for parsing headers.
struct ByteCursor {
    let file: MappedFile
    var offset: Int

    init(_ file: MappedFile, offset: Int = 0) {
        self.file = file
        self.offset = offset
    }

    /// Ensures `n` more bytes exist, else throws `truncated` naming `what`.
    func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= file.count - offset else {
            throw ModelFileError.truncated(path: file.path, what: what, needed: n,
                                           available: max(0, file.count - offset))
        }
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws -> T {
        let size = MemoryLayout<T>.size
        try need(size, what)
        let v = file.buffer.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: v)
    }

    /// A GGUF string: uint64 length, then that many UTF-8 bytes (invalid UTF-8 is repaired).
    mutating func readString(_ what: String) throws -> String {
        let length = try read(UInt64.self, what)
        guard length <= UInt64(file.count - offset) else {
            throw ModelFileError.truncated(path: file.path, what: "\(what) (string of \(length) bytes)",
                                           needed: Int(clamping: length), available: file.count - offset)
        }
        let n = Int(length)
        let s = String(decoding: file.bytes(offset..<(offset + n)), as: UTF8.self)
        offset += n
        return s
    }
}
